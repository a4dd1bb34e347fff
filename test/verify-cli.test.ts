// `npm run verify` end to end through kubectl (a fake that answers like the lab's mesh).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";

const ROOT = path.join(__dirname, "..");

function verify(args: string[], env: Record<string, string> = {}) {
    const state = mkdtempSync(path.join(tmpdir(), "istio-mc-verify-"));
    try {
        return spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "verify.ts"), ...args], {
            encoding: "utf8",
            cwd: ROOT,
            env: { ...process.env, PATH: `${path.join(__dirname, "fake-kubectl-mesh")}:${process.env.PATH}`, FAKE_STATE: state, ...env },
        });
    } finally {
        rmSync(state, { recursive: true, force: true });
    }
}

const CONTEXTS = ["--contexts", "istio-1,istio-2,istio-3"];

test("a healthy mesh: exit 0, a table per cluster, progress on stderr", () => {
    const result = verify([...CONTEXTS, "--calls", "6"]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(
        result.stdout,
        /from sleep in istio-2 \(namespace sample, sidecar revision 1-31-1\):\n  version  cluster      calls\n  v1       istio-1      2\n  v1       istio-2      2\n  v2       istio-3      2\n/,
    );
    assert.match(
        result.stdout,
        /helloworld endpoints known to the sidecar: 10\.101\.0\.5:5000, 172\.18\.136\.1:15443, 172\.18\.144\.1:15443/,
    );
    assert.match(result.stdout, /^PASS: every cluster reached v1 and v2 across the mesh$/m);
    assert.match(result.stderr, /… istio-3: call 6\/6/);
});

test("--json: the verdict as data", () => {
    const result = verify([...CONTEXTS, "--calls", "3", "--json"]);
    assert.equal(result.status, 0);
    const verdict = JSON.parse(result.stdout);
    assert.equal(verdict.ok, true);
    assert.deepEqual(verdict.versions, ["v1", "v2"]);
    assert.equal(verdict.clusters[2].endpoints.length, 3);
});

test("a cluster whose gateway the others do not know: exit 1, discovery flagged", () => {
    const result = verify([...CONTEXTS, "--calls", "6"], { FAKE_NO_GATEWAY: "istio-3" });
    assert.equal(result.status, 1);
    assert.match(result.stdout, /✗ discovery: no endpoint for istio-3's east-west gateway 172\.18\.144\.1:15443/);
    assert.match(result.stdout, /✗ traffic: never answered by v2/);
    assert.match(result.stdout, /^FAIL/m);
});

test("flags: --help prints the usage (exit 0); --flag=value works; unknown flags and bad values print the usage and exit 2", () => {
    const help = verify(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: npm run verify -- \[options\]\n/);
    const equals = verify(["--contexts=istio-1,istio-2,istio-3", "--calls=3", "--json"]);
    assert.equal(equals.status, 0, equals.stderr);
    assert.equal(JSON.parse(equals.stdout).clusters.length, 3);
    for (const [args, message] of [
        [["--calls", "0"], "--calls must be a whole number >= 1 (got 0)"],
        [["--calls=2.5"], "--calls must be a whole number >= 1 (got 2.5)"],
        [["--contexts", ","], '--contexts needs at least one context name (got ",")'],
        [["--bogus"], "Unknown option '--bogus'"],
    ] as const) {
        const result = verify([...args]);
        assert.equal(result.status, 2, args.join(" "));
        assert.equal(result.stderr.split("\n")[0], message);
        assert.match(result.stderr, /\n\nUsage: npm run verify/);
        assert.equal(result.stdout, "", "no verdict printed");
    }
});

test("a missing context: exit 1, named with the fix", () => {
    const missing = verify(["--contexts", "istio-1,istio-9", "--calls", "1"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /kube context istio-9 is missing from your kubeconfig/);
});

test("npm run bench takes --help and refuses unknown flags", () => {
    const run = (args: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "bench.ts"), ...args], { encoding: "utf8", cwd: ROOT });
    const help = run(["--help"]);
    assert.equal(help.status, 0);
    assert.match(
        help.stdout,
        /^Usage: npm run bench -- \[--json\] \[--real \[--counts 1,3,8,16\] \[--config key=value ...\] \[--env KEY=VALUE ...\] \[--breakdown\]\]\n/,
    );
    const bad = run(["--clusters", "4"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^Unknown option '--clusters'.*\n\nUsage: npm run bench/s);
    const counts = run(["--real", "--counts", "1,17"]);
    assert.equal(counts.status, 2);
    assert.match(counts.stderr, /^--counts 1,17: whole numbers from 1 to 16\n\nUsage: npm run bench/);
    const config = run(["--real", "--config", "ECDSA"]);
    assert.equal(config.status, 2);
    assert.match(config.stderr, /^--config takes key=value \(got "ECDSA"\)\n\nUsage: npm run bench/);
});
