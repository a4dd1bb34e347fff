// npm run plan-diff: a throwaway git repository holding this project, a commit as the base, and
// edits in its working tree, as in a pull request.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { before, test } from "node:test";
import { formatPlanDiff, planDiff as diffPlans } from "../scripts/plan-diff/diff";
import type { PlannedResource } from "../scripts/plan-diff/record";
import { PREVIOUS_RELEASE, previousReleaseUnavailable } from "./real-clusters/previous-release";
import { tempDir } from "./temp";

const ROOT = path.join(__dirname, "..");
let repo: string;

function sh(cmd: string, args: string[], cwd = repo) {
    const result = spawnSync(cmd, args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: "", GIT_CONFIG_GLOBAL: "/dev/null" },
    });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

before(() => {
    repo = path.join(tempDir("plan-diff"), "repo");
    const files = sh("git", ["ls-files", "-co", "--exclude-standard"], ROOT).stdout.trim().split("\n");
    for (const file of files) {
        mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
        cpSync(path.join(ROOT, file), path.join(repo, file));
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(repo, "node_modules"));
    assert.equal(sh("git", ["init", "-q", "-b", "main"]).status, 0);
    writeFileSync(path.join(repo, ".git", "info", "exclude"), "node_modules\n"); // a symlink here, which `node_modules/` does not match
    for (const args of [
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base"],
    ]) {
        assert.equal(sh("git", args).status, 0);
    }
});

function planDiff(...args: string[]) {
    const result = sh(process.execPath, ["--import", "tsx", "scripts/plan-diff.ts", "--base", "main", ...args]);
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
}

/** Runs `body` with Pulumi.yaml's default of `key` set to `value` in the working tree (what a pull request would change). */
function withDefault(key: string, value: string, body: () => void): void {
    const file = path.join(repo, "Pulumi.yaml");
    const original = readFileSync(file, "utf8");
    const changed = original.replace(new RegExp(`(\\n  ${key}:\\n(?:    .*\\n)*?    default: ).*`), `$1${value}`);
    assert.notEqual(changed, original);
    writeFileSync(file, changed);
    try {
        body();
    } finally {
        writeFileSync(file, original);
    }
}

test("no change: an empty diff, exit 0", () => {
    assert.equal(
        planDiff(),
        "plan-diff: main (" +
            sh("git", ["rev-parse", "--short=7", "main"]).stdout.trim() +
            ") -> working tree\nsummary: no change to the declared mesh\n",
    );
});

test("clusterCount 3 -> 4 in Pulumi.yaml: cluster4's resources added; endpoint discovery gains cluster4 and nothing else; v2 moves to cluster4", () => {
    withDefault("clusterCount", "4", () => {
        const json = JSON.parse(planDiff("--json"));
        const inGroup = (group: string, change: string) =>
            json.resources
                .filter((r: any) => r.group === group && r.change === change)
                .map((r: any) => r.name)
                .sort();
        assert.ok(inGroup("cluster4", "add").length >= 25, "the new cluster's resources");
        assert.deepEqual(inGroup("cluster4", "remove"), []);
        for (const i of [1, 2, 3])
            assert.deepEqual(
                inGroup(`cluster${i}`, "add").filter((n: string) => !n.includes("helloworld")),
                [],
            );
        const discovery = json.resources.filter((r: any) => r.name.startsWith("endpoint-discovery"));
        assert.deepEqual(
            discovery.map((r: any) => [r.change, r.name, r.changes.map((c: any) => c.path)]),
            [["update", "endpoint-discovery-secrets", ["environment.CLUSTERS[cluster4]"]]],
        );
        assert.deepEqual(discovery[0].changes[0].old, undefined);
        assert.equal(discovery[0].changes[0].new.clusterName, "cluster4");
        assert.deepEqual(discovery[0].changes[0].new.target, { KIND_CLUSTER_NAME: "istio-4" });
        assert.deepEqual(inGroup("cluster3", "remove"), ["cluster3-samples-helloworld-v2"].sort());
        assert.deepEqual(
            inGroup("cluster3", "add").filter((n: string) => n.includes("helloworld")),
            ["cluster3-samples-helloworld-v1"],
        );
        assert.deepEqual(inGroup("cluster1", "update"), [], "nothing else changes in cluster1");
        // The same config on both sides cancels out.
        assert.match(planDiff("--config", "clusterCount=2"), /summary: no change to the declared mesh\n$/);
    });
});

/** Pulumi.yaml with the defaults of `edits` changed (the config of a stack at some step). */
function pulumiYaml(original: string, edits: Record<string, string>): string {
    let text = original;
    for (const [key, value] of Object.entries(edits)) {
        const changed = text.replace(new RegExp(`(\\n  ${key}:\\n(?:    .*\\n)*?    default: ).*`), `$1${value}`);
        assert.notEqual(changed, text, key);
        text = changed;
    }
    return text;
}

/** Runs `body` with `base` committed as Pulumi.yaml on a branch and `head` in the working tree. */
function step(base: Record<string, string>, head: Record<string, string>, body: () => void): void {
    const file = path.join(repo, "Pulumi.yaml");
    const start = sh("git", ["rev-parse", "HEAD"]).stdout.trim();
    const original = readFileSync(file, "utf8");
    writeFileSync(file, pulumiYaml(original, base));
    assert.equal(sh("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-am", "base step"]).status, 0);
    writeFileSync(file, pulumiYaml(original, head));
    try {
        body();
    } finally {
        sh("git", ["reset", "-q", "--hard", start]);
    }
}

const changed = (json: any, group: string) =>
    Object.fromEntries(
        ["add", "remove", "replace", "update"].map((change) => [
            change,
            json.resources
                .filter((r: any) => r.group === group && r.change === change)
                .map((r: any) => r.name)
                .sort(),
        ]),
    );

test("a canary upgrade, step by step: each plan names exactly the Istio releases, tags and restarted workloads", () => {
    const hw = (i: number) => `helloworld-${i === 3 ? "v2" : "v1"}`;
    const canarySamples = (i: number) =>
        [`cluster${i}-samples-canary`].concat(
            ["namespace", "helloworld-service", "helloworld-sa", hw(i), "sleep-sa", "sleep-service", "sleep"].map(
                (n) => `cluster${i}-samples-canary-${n}`,
            ),
        );
    // Another image set: the archive is loaded again (its command re-runs).
    const images = (i: number) => [`cluster${i}-load-images`];

    // Step 1: istioCanary set.
    step({}, { istioCanary: '"1.31.4"' }, () => {
        const json = JSON.parse(planDiff("--base", "HEAD", "--json"));
        for (const i of [1, 2, 3]) {
            assert.deepEqual(changed(json, `cluster${i}`), {
                add: [`cluster${i}-istio-istiod-1-31-4`, `cluster${i}-istio-tag-canary`, ...canarySamples(i)].sort(),
                remove: [],
                replace: images(i),
                update: [`cluster${i}-istio-istio-base`],
            });
        }
        const text = planDiff("--base", "HEAD");
        assert.match(text, /~ {2}kubernetes:helm.sh\/v3:Release cluster1-istio-istio-base\n {7}version: "1\.31\.1" -> "1\.31\.4"\n/);
    });

    // Step 2: istioVersion set to the canary's version (the base evaluated from scratch runs step 1's layout).
    step({ istioCanary: '"1.31.4"' }, { istioCanary: '"1.31.4"', istioVersion: '"1.31.4"' }, () => {
        const json = JSON.parse(planDiff("--base", "HEAD", "--json"));
        for (const i of [1, 2, 3]) {
            assert.deepEqual(changed(json, `cluster${i}`), {
                add: [],
                remove: [`cluster${i}-istio-tag-canary`, ...canarySamples(i)].sort(),
                replace: [],
                update: [
                    `cluster${i}-istio-istio-base`,
                    `cluster${i}-istio-tag-default`,
                    `cluster${i}-istio-eastwestgateway`,
                    `cluster${i}-samples-${hw(i)}`,
                    `cluster${i}-samples-sleep`,
                ].sort(),
            });
        }
        const text = planDiff("--base", "HEAD");
        assert.match(text, /cluster2-istio-eastwestgateway\n(?: {7}.*\n)*? {7}values\.revision: "1-31-1" -> "1-31-4"\n/);
        assert.match(
            text,
            /cluster2-samples-sleep\n {7}spec\.template\.metadata\.annotations\.istio-multicluster\/revision: "1-31-1" -> "1-31-4"\n/,
        );
    });

    // Step 3: istioCanary removed. What the base runs depends on the steps before it: --last says.
    step({ istioCanary: '"1.31.4"', istioVersion: '"1.31.4"' }, { istioVersion: '"1.31.4"' }, () => {
        const unsettled = sh(process.execPath, ["--import", "tsx", "scripts/plan-diff.ts", "--base", "HEAD"]);
        assert.equal(unsettled.status, 1);
        assert.match(
            unsettled.stderr,
            /nothing to promote from[^]*Pass what the stack runs: --last FILE \(pulumi stack output --json > FILE\)\.\n$/,
        );

        const last = path.join(repo, "..", "last.json");
        const afterStep1 = [
            { revision: "1-31-1", version: "1.31.1", tags: ["default"] },
            { revision: "1-31-4", version: "1.31.4", tags: ["canary"] },
        ];
        writeFileSync(
            last,
            JSON.stringify({ istioVersion: "1.31.1", istioRevisions: afterStep1, meshId: "mesh1", discoveryLayout: "per-cluster" }),
        );
        const json = JSON.parse(planDiff("--base", "HEAD", "--last", last, "--json"));
        for (const i of [1, 2, 3]) {
            assert.deepEqual(changed(json, `cluster${i}`), {
                add: [],
                remove: [`cluster${i}-istio-istiod-1-31-1`],
                replace: images(i),
                update: [],
            });
        }
    });

    // A user's step: --change applies to the working tree only; their untracked stack file counts on both sides.
    const stackFile = path.join(repo, "Pulumi.dev.yaml");
    writeFileSync(stackFile, "config:\n  istio-multicluster:clusterCount: 2\n");
    try {
        const json = JSON.parse(planDiff("--change", "istioCanary=1.31.4", "--json"));
        assert.deepEqual([...new Set(json.resources.map((r: any) => r.group))].sort(), ["cluster1", "cluster2", "mesh-wide"]);
        assert.ok(json.resources.some((r: any) => r.name === "cluster2-istio-istiod-1-31-4" && r.change === "add"));
        assert.ok(!json.resources.some((r: any) => r.change === "remove"), "the base has the same two clusters");
        assert.match(
            planDiff("--change", "istioCanary=1.31.4"),
            /^plan-diff: main \([0-9a-f]{7}\) -> working tree, changing istioCanary=1\.31\.4\n/,
        );
    } finally {
        sh("rm", ["-f", stackFile]);
    }

    // istioVersion changed with no canary: the program refuses, and plan-diff says why.
    withDefault("istioVersion", '"1.31.4"', () => {
        const result = sh(process.execPath, ["--import", "tsx", "scripts/plan-diff.ts", "--base", "main"]);
        assert.equal(result.status, 1);
        assert.match(
            result.stderr,
            /evaluating the program at the working tree failed: .*moves the default tag off revision 1-31-1 \(1\.31\.1\) and removes it/,
        );
        // Its advice, as plan-diff's own flags.
        assert.match(
            result.stderr,
            /\nTo see that first step with plan-diff: npm run plan-diff -- --base main --change istioCanary=1\.31\.4\n$/,
        );
    });
});

test("a changed key algorithm replaces the CAs, and flags what takes their outputs", () => {
    withDefault("caKeyAlgorithm", "ECDSA", () => {
        const text = planDiff();
        assert.match(
            text,
            /\+- tls:index\/privateKey:PrivateKey mesh-pki-root-key {2}\[replace: algorithm changed\]\n {7}algorithm: "RSA" -> "ECDSA"\n/,
        );
        assert.match(text, /~ {2}kubernetes:core\/v1:Secret cluster1-istio-cacerts {2}\[its inputs come from .*, which is replaced\]/);
        assert.doesNotMatch(text, /KEY\(|CERT\(|BEGIN/, "no key or certificate text");
    });
});

test("each side reads its own stack file; a new peer-facing apiServer changes only what endpoint discovery tells the others", () => {
    const stackFile = path.join(repo, "Pulumi.dev.yaml");
    const clusters = [
        { context: "east", apiServer: "https://10.0.0.1:6443" },
        { context: "west", apiServer: "https://10.0.0.2:6443" },
    ];
    const write = (list: object[]) =>
        writeFileSync(
            stackFile,
            `config:\n  istio-multicluster:provisioner: existing\n  istio-multicluster:clusters: '${JSON.stringify(list)}'\n`,
        );
    write(clusters);
    assert.equal(sh("git", ["add", "-f", "Pulumi.dev.yaml"]).status, 0);
    assert.equal(sh("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "existing"]).status, 0);
    try {
        write([clusters[0], { ...clusters[1], apiServer: "https://api.west.example.com" }]);
        const result = sh(process.execPath, ["--import", "tsx", "scripts/plan-diff.ts", "--base", "HEAD"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(
            result.stdout,
            /~ {2}command:local:Command endpoint-discovery-secrets\n {7}environment\.CLUSTERS\[cluster2\]\.server: "https:\/\/10\.0\.0\.2:6443" -> "https:\/\/api\.west\.example\.com"\n/,
        );
        assert.match(
            result.stdout,
            /^summary: 0 to add, 0 to remove, 0 to replace, 1 to update, in 1 group\(s\): mesh-wide$/m,
            "a new peer-facing apiServer replaces nothing",
        );
    } finally {
        sh("git", ["reset", "-q", "--hard", "HEAD~1"]);
        sh("rm", ["-f", stackFile]);
    }
});

test("a changed secret input shows as [secret], never its value; a list of clusters in a JSON value is compared cluster by cluster", () => {
    const resource = (inputs: unknown): PlannedResource => ({
        urn: "urn:pulumi:dev::istio-multicluster::command:local:Command::c",
        type: "command:local:Command",
        name: "c",
        provider: "",
        deleteBeforeReplace: false,
        inputDependencies: [],
        providerUrn: "",
        inputs,
    });
    const clusters = (servers: string[]) => JSON.stringify(servers.map((server, k) => ({ clusterName: `cluster${k + 1}`, server })));
    const diff = diffPlans(
        [resource({ environment: { KEY: { "[secret]": "0123" }, CLUSTERS: clusters(["https://a", "https://b"]) } })],
        [resource({ environment: { KEY: { "[secret]": "4567" }, CLUSTERS: clusters(["https://a", "https://c", "https://d"]) } })],
    );
    assert.deepEqual(diff.resources[0].changes, [
        { path: "environment.CLUSTERS[cluster2].server", old: "https://b", new: "https://c" },
        { path: "environment.CLUSTERS[cluster3]", old: undefined, new: { clusterName: "cluster3", server: "https://d" } },
        { path: "environment.KEY", old: "[secret]", new: "[secret]" },
    ]);
    assert.doesNotMatch(formatPlanDiff(diff, "t"), /0123|4567/);
});

test(
    `a stack of the release before per-cluster discovery (${PREVIOUS_RELEASE.slice(0, 7)}): the first update adds the one command and changes no per-pair resource`,
    { skip: previousReleaseUnavailable() },
    () => {
        // A branch holding that release's program, as a pull request's base would.
        const archive = spawnSync("git", ["archive", "--format=tar", PREVIOUS_RELEASE], { cwd: ROOT, maxBuffer: 512 * 1024 * 1024 });
        assert.equal(archive.status, 0, `the repository's history is needed: ${archive.stderr}`);
        const previous = path.join(tempDir("previous-release"), "tree");
        mkdirSync(previous);
        assert.equal(spawnSync("tar", ["-x", "-C", previous], { input: archive.stdout }).status, 0);
        const git = (...args: string[]) => assert.equal(sh("git", ["--work-tree", previous, ...args]).status, 0, args.join(" "));
        git("checkout", "-q", "--orphan", "previous");
        git("add", "-A");
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "previous release");
        assert.equal(sh("git", ["checkout", "-q", "-f", "main"]).status, 0);
        try {
            const json = JSON.parse(planDiff("--base", "previous", "--json"));
            assert.deepEqual(
                json.resources.map((r: any) => `${r.change} ${r.name}`).sort(),
                ["add endpoint-discovery", "add endpoint-discovery-secrets"],
                "every RemoteAccess pair is declared as before (to be forgotten by the next update)",
            );
        } finally {
            sh("git", ["branch", "-q", "-D", "previous"]);
        }
    },
);

test("bad arguments print the usage and exit 2; --help exits 0", () => {
    const help = sh(process.execPath, ["--import", "tsx", "scripts/plan-diff.ts", "--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: npm run plan-diff -- --base REF/);
    const missing = sh(process.execPath, ["--import", "tsx", "scripts/plan-diff.ts"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^--base REF is required\n/);
    const badRef = sh(process.execPath, ["--import", "tsx", "scripts/plan-diff.ts", "--base", "no-such-ref"]);
    assert.equal(badRef.status, 2);
    assert.match(badRef.stderr, /^--base no-such-ref: not a commit, branch or tag of this repository\n\nUsage: npm run plan-diff/);
});
