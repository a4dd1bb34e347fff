// What a newcomer meets first: every skip line names what is missing and how to get it, and
// nothing prints after the test summary.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { dockerTierSkip } from "./docker-host";
import { HOW_TO_GET, ROOT, describeMissing, which } from "./real-tools";
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
        .flatMap((f) => [...readFileSync(path.join(__dirname, f), "utf8").matchAll(/(?:missingTools\(|const HOST_TOOLS = )\[([^\]]*)\]/g)])
        .flatMap((m) => [...m[1].matchAll(/"([^"]+)"/g)].map((t) => t[1]));
    assert.ok(asked.length > 5);
    assert.deepEqual(
        asked.filter((tool) => !(tool in HOW_TO_GET)),
        [],
    );
});

test("the host-side tier's skip line names every missing tool and a Docker engine that does not answer", () => {
    // A PATH with a docker whose engine is down, and nothing else of the tier's.
    const bin = tempDir("newcomer-bin");
    writeFileSync(path.join(bin, "docker"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n", { mode: 0o755 });
    const env = { PATH: `${bin}:/usr/bin:/bin`, CI: "false" };
    const why = dockerTierSkip(env);
    assert.ok(why, "skipped");
    for (const tool of ["kind", "go", "busybox"].filter((t) => !which(t, env))) assert.match(why, new RegExp(`\\b${tool}\\b`));
    assert.match(why, /needs a running Docker engine you may use \(docker info failed: start dockerd/);
    assert.throws(() => dockerTierSkip({ ...env, CI: "true" }), /^Error: CI runs the host-side tier: needs /);
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
