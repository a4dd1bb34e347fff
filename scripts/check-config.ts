// `npm run up`'s first step: the `--config key=value` flags it passes to `pulumi up`, checked with
// the program's own parser (over Pulumi.yaml's defaults and the stack file) before the Pulumi CLI
// writes them into the stack file, where a refused value would stay and fail every later run.
//   node --import tsx scripts/check-config.ts STACK [pulumi up flags...]
// Exits 1 with the program's message for a bad value; 0 otherwise (flags for other namespaces and
// --path flags are left to the CLI and the program).
import { ConfigError, parseConfig } from "../components/config";
import { CONFIG_PREFIX, stackConfig } from "./stack-config";

/** The project's `--config` values among `pulumi up` flags: key (no prefix) -> value. */
export function configFlags(args: string[]): Record<string, string> | undefined {
    if (args.includes("--path")) return undefined;
    const values: Record<string, string> = {};
    for (let k = 0; k < args.length; k++) {
        const inline = /^(?:--config|-c)=(.*)$/s.exec(args[k]);
        const pair = inline ? inline[1] : ["--config", "-c"].includes(args[k]) ? args[++k] : undefined;
        if (pair === undefined) continue;
        const match = /^(?:istio-multicluster:)?([A-Za-z]\w*)=(.*)$/s.exec(pair);
        if (match) values[match[1]] = match[2];
    }
    return values;
}

function checkConfig(stack: string, args: string[]): number {
    const flags = configFlags(args);
    if (!flags || Object.keys(flags).length === 0) return 0;
    const config = stackConfig(flags, { stack });
    try {
        parseConfig((key) => config[CONFIG_PREFIX + key]);
        return 0;
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`error: ${error.message}\nNothing was run, and Pulumi.${stack}.yaml is as it was.\n`);
        return 1;
    }
}

if (require.main === module) process.exitCode = checkConfig(process.argv[2], process.argv.slice(3));
