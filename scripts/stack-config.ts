// The config a program sees under the CLI: Pulumi.yaml's defaults, then the stack file (if the
// project folder has one), then overrides; every value a string (lists as JSON), keys prefixed
// with the project name.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const CONFIG_PREFIX = "istio-multicluster:";

const asString = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

export function stackConfig(
    overrides: Record<string, unknown> = {},
    options: { dir?: string; stack?: string } = {},
): Record<string, string> {
    const dir = options.dir ?? path.join(__dirname, "..");
    const project = parse(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
    const config: Record<string, string> = {};
    for (const [key, entry] of Object.entries<any>(project.config ?? {})) {
        if (entry.default !== undefined) config[CONFIG_PREFIX + key] = asString(entry.default);
    }
    const stackFile = options.stack ? path.join(dir, `Pulumi.${options.stack}.yaml`) : undefined;
    if (stackFile && existsSync(stackFile)) {
        for (const [key, value] of Object.entries(parse(readFileSync(stackFile, "utf8"))?.config ?? {})) config[key] = asString(value);
    }
    for (const [key, value] of Object.entries(overrides)) {
        if (value === null) delete config[CONFIG_PREFIX + key];
        else config[CONFIG_PREFIX + key] = asString(value);
    }
    return config;
}
