// What a newcomer meets first: every skip line names what is missing and how to get it, and
// nothing prints after the test summary.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { HOW_TO_GET, ROOT, describeMissing } from "./real-tools";
import { tempDir } from "./temp";

test("skip lines: each missing tool named with the command that brings it, on Debian or Ubuntu and in general", () => {
    assert.equal(
        describeMissing(["kind", "busybox", "docker"]),
        'needs kind (eval "$(bash scripts/real-tools/build.sh)": built from the Go module proxy, with Go 1.25+); ' +
            "busybox (apt-get install busybox-static (Debian, Ubuntu); elsewhere a statically linked busybox on PATH); " +
            "docker (apt-get install docker.io and start dockerd (Debian, Ubuntu); elsewhere Docker Engine (https://docs.docker.com/engine/install/))",
    );
    assert.match(
        describeMissing(["pulumi", "kwokctl"]),
        /^needs pulumi, kwokctl \(eval "\$\(bash scripts\/real-tools\/build\.sh\)"/,
        "one line per command",
    );
    // Every tool a tier asks for has its advice.
    const asked = readdirSync(__dirname)
        .filter((f) => f.endsWith(".ts"))
        .flatMap((f) => [...readFileSync(path.join(__dirname, f), "utf8").matchAll(/missingTools\(\[([^\]]*)\]\)/g)])
        .flatMap((m) => [...m[1].matchAll(/"([^"]+)"/g)].map((t) => t[1]));
    assert.ok(asked.length > 5);
    assert.deepEqual(
        asked.filter((tool) => !(tool in HOW_TO_GET)),
        [],
    );
});

test("npm prints no update notice after the closing lines of `npm test`", () => {
    // A HOME of its own: npm writes a log of every command there.
    const home = tempDir("npm-home");
    const result = spawnSync("npm", ["config", "get", "update-notifier"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, HOME: home },
    });
    assert.equal(result.stdout.trim(), "false");
});
