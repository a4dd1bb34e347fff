// `npm run up` / `npm run down`: local backend, a passphrase without prompts, the dev stack.
import { tempDir } from "./temp";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

const ROOT = path.join(__dirname, "..");

function run(script: string, args: string[], env: Record<string, string> = {}, home?: string) {
    const dir = home ?? tempDir("up");
    const state = path.join(dir, "state");
    spawnSync("mkdir", ["-p", state]);
    const clean = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("PULUMI_") && !["XDG_CONFIG_HOME", "STACK", "KUBECONFIG"].includes(k)),
    );
    const result = spawnSync("bash", [path.join(ROOT, "scripts", script), ...args], {
        encoding: "utf8",
        env: {
            ...clean,
            HOME: dir,
            PATH: `${path.join(__dirname, "fake-pulumi")}:${path.join(__dirname, "fakes")}:${process.env.PATH}`,
            FAKE_STATE: state,
            ...env,
        },
    });
    const log = path.join(state, "pulumi.log");
    const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    return { ...result, dir, calls };
}

test("first up: creates the dev stack on the local backend with a generated passphrase, then pulumi up --yes", () => {
    const { status, stderr, dir, calls } = run("up.sh", ["--config", "istio-multicluster:clusterCount=2"]);
    assert.equal(status, 0, stderr);
    const backend = `file://${dir}/.pulumi-istio-multicluster`;
    const passphrase = `${dir}/.config/istio-multicluster/passphrase`;
    assert.deepEqual(
        calls.map((c) => c.split(" | ")[0]),
        [
            "pulumi stack select dev",
            "pulumi stack init dev",
            "pulumi up --yes --stack dev --config istio-multicluster:clusterCount=2",
            "pulumi stack output legacyDiscoveryPairs --stack dev",
        ],
    );
    for (const call of calls) assert.match(call, new RegExp(`backend=${backend} passphrase_file=${passphrase} passphrase_set=$`));
    assert.equal(statSync(passphrase).mode & 0o777, 0o600, "the passphrase is private");
    assert.ok(readFileSync(passphrase, "utf8").trim().length >= 40);
    assert.ok(statSync(`${dir}/.pulumi-istio-multicluster`).isDirectory());

    // Second up: same stack, same passphrase, no new stack.
    const before = readFileSync(passphrase, "utf8");
    const again = run("up.sh", [], {}, dir);
    assert.equal(again.status, 0);
    assert.ok(!again.calls.slice(4).some((c) => c.startsWith("pulumi stack init")));
    assert.equal(readFileSync(passphrase, "utf8"), before);
});

test("up: a --config value the program would refuse stops before `pulumi up`, which would write it into the stack file", () => {
    const refused: [string[], string][] = [
        [
            ["--config", "istio-multicluster:clusterCount=17"],
            'Invalid config istio-multicluster:clusterCount = "17": must be a whole number from 1 to 16.',
        ],
        [["-c", "clusterCount=abc"], 'Invalid config istio-multicluster:clusterCount = "abc": must be a whole number from 1 to 16.'],
        [
            ["--config=istio-multicluster:discovery=mesh"],
            'Invalid config istio-multicluster:discovery = "mesh": must be one of endpoint, federated.',
        ],
    ];
    for (const [flags, message] of refused) {
        const { status, stderr, calls } = run("up.sh", flags);
        assert.equal(status, 1);
        assert.equal(stderr, `error: ${message}\nNothing was run, and Pulumi.dev.yaml is as it was.\n`);
        assert.deepEqual(calls, [], "the CLI was not called");
    }
    // Values the program takes, and flags for other namespaces, go on to pulumi up.
    const ok = run("up.sh", ["--config", "istio-multicluster:clusterCount=4", "--config", "kubernetes:context=x"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(
        ok.calls.at(-2)!,
        /^pulumi up --yes --stack dev --config istio-multicluster:clusterCount=4 --config kubernetes:context=x /,
    );
});

test("up: a stack an earlier release made moves in two updates, the second run by npm run up itself when the first says so", () => {
    const dir = tempDir("up");
    spawnSync("mkdir", ["-p", path.join(dir, "state")]);
    // The first update of such a stack leaves the output legacyDiscoveryPairs (index.ts).
    writeFileSync(path.join(dir, "state", "outputs-legacyDiscoveryPairs"), "6\n");
    const { status, stderr, stdout, calls } = run("up.sh", [], {}, dir);
    assert.equal(status, 0, stderr);
    assert.deepEqual(calls.map((c) => c.split(" | ")[0]).slice(-3), [
        "pulumi up --yes --stack dev",
        "pulumi stack output legacyDiscoveryPairs --stack dev",
        "pulumi up --yes --stack dev",
    ]);
    assert.match(stdout, /Forgetting the per-pair resources of an earlier release \(nothing in the clusters changes\):/);
});

test("up and down run pulumi with a private TMPDIR of their own, gone afterwards (the Kubernetes provider leaves kubeconfig files there)", () => {
    for (const script of ["up.sh", "down.sh"]) {
        const { status, stderr, dir } = run(script, []);
        assert.equal(status, 0, stderr);
        const seen = readFileSync(path.join(dir, "state", "tmpdir.log"), "utf8")
            .trim()
            .split("\n");
        const folders = new Set(seen.map((line) => line.split(" | ")[1]));
        assert.equal(folders.size, 1, "one folder per run");
        const [folder, mode] = [...folders][0].split(" ");
        assert.equal(mode, "700");
        assert.notEqual(folder, process.env.TMPDIR);
        assert.ok(!existsSync(folder), `${folder} is removed`);
    }
});

test("your own passphrase and backend win; down destroys the same stack", () => {
    const { status, calls } = run("down.sh", [], {
        PULUMI_CONFIG_PASSPHRASE: "mine",
        PULUMI_BACKEND_URL: "s3://bucket/state",
        STACK: "lab",
    });
    assert.equal(status, 0);
    assert.deepEqual(calls, ["pulumi destroy --yes --stack lab | backend=s3://bucket/state passphrase_file= passphrase_set=yes"]);
});

test("up says which tools are missing before installing anything", () => {
    const home = tempDir("up");
    try {
        // Only bash itself: no pulumi, kind, docker, node or npm on PATH.
        const result = spawnSync("/bin/bash", [path.join(ROOT, "scripts", "up.sh")], {
            encoding: "utf8",
            env: { HOME: home, PATH: path.join(home, "empty") },
        });
        assert.equal(result.status, 1);
        assert.equal(
            result.stderr,
            [
                "npm run up needs:",
                "  - the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/",
                "  - kind v0.33.0 or newer: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
                "  - docker, with a running Docker Engine: https://docs.docker.com/engine/install/",
                "",
            ].join("\n"),
        );
    } finally {
        rmSync(home, { recursive: true, force: true });
    }
});
