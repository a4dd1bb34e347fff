// Command-line flags for the npm scripts: `--flag value` and `--flag=value`, `--help` prints the
// usage and exits 0, an unknown flag or a bad value prints the usage and exits 2.
import { ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function usageError(usage: string, message: string): never {
    process.stderr.write(`${message}\n\n${usage}`);
    process.exit(2);
}

export function parseFlags<O extends Options>(argv: string[], usage: string, options: O) {
    try {
        const { values } = parseArgs({
            args: argv,
            options: { ...options, help: { type: "boolean", short: "h" } },
            strict: true,
            allowPositionals: false,
        });
        if ((values as { help?: boolean }).help) {
            process.stdout.write(usage);
            process.exit(0);
        }
        return values as ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"];
    } catch (error) {
        return usageError(usage, (error as Error).message);
    }
}

/** `--config key=value` flags (the istio-multicluster: prefix is optional) as a config map. */
export function parseConfigFlags(pairs: string[], usage: string): Record<string, string> {
    const config: Record<string, string> = {};
    for (const pair of pairs) {
        const match = /^(?:istio-multicluster:)?([A-Za-z]\w*)=(.*)$/s.exec(pair);
        if (!match) usageError(usage, `--config takes key=value (got "${pair}")`);
        config[match[1]] = match[2];
    }
    return config;
}
