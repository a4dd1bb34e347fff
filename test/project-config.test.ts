// Pulumi.yaml is what the CLI reads before the program runs: every declared key needs a default
// (or the CLI stops with "missing configuration values"), equal to the program's own.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { DEFAULTS } from "../components/config";

const ROOT = path.join(__dirname, "..");
const project = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
const declared: Record<string, { type: string; default: unknown; description: string }> = project.config;
const typeOf = (value: unknown) => (typeof value === "number" ? "integer" : typeof value);

test("Pulumi.yaml declares every key of the program, each with type, description and the program's default", () => {
    assert.deepEqual(Object.keys(declared).sort(), Object.keys(DEFAULTS).sort());
    for (const [key, value] of Object.entries(DEFAULTS)) {
        const entry = declared[key];
        assert.equal(entry.default, value, `${key}: Pulumi.yaml default`);
        assert.equal(entry.type, typeOf(value), `${key}: Pulumi.yaml type`);
        assert.ok(entry.description.length > 10, `${key}: description`);
    }
});

test("no stack file is tracked (they hold a user's salt and values) and git ignores them; the lists stay undeclared", () => {
    const tracked = spawnSync("git", ["ls-files", "Pulumi.*.yaml"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(tracked.status, 0, tracked.stderr);
    assert.equal(tracked.stdout, "");
    const ignored = spawnSync("git", ["check-ignore", "-q", "Pulumi.dev.yaml"], { cwd: ROOT });
    assert.equal(ignored.status, 0, "Pulumi.dev.yaml is ignored");
    assert.ok(!("clusters" in declared) && !("exports" in declared), "declared keys without a default would be required");
});
