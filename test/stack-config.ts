// The config a program sees under the CLI: Pulumi.yaml's defaults, then the stack file, then
// overrides, every value as a string (lists as JSON), keys prefixed with the project name.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..");
const PREFIX = "istio-multicluster:";

const asString = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

export function stackConfig(overrides: Record<string, unknown> = {}, stack = "dev"): Record<string, string> {
    const project = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    const stackFile = parse(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) ?? {};
    const config: Record<string, string> = {};
    for (const [key, entry] of Object.entries<any>(project.config ?? {})) {
        if (entry.default !== undefined) config[PREFIX + key] = asString(entry.default);
    }
    for (const [key, value] of Object.entries(stackFile.config ?? {})) config[key] = asString(value);
    for (const [key, value] of Object.entries(overrides)) {
        if (value === null) delete config[PREFIX + key];
        else config[PREFIX + key] = asString(value);
    }
    return config;
}
