import assert from "node:assert/strict";
import { missingTools } from "./real-tools";
import { tempDir } from "./temp";
import { spawn } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { existingPreflight } from "../components/existing/preflight";
import { inotifyRequirement, kindPreflight } from "../components/kind/preflight";
import { PreflightError } from "../components/run";
import { configFrom } from "./harness";
import { fakeHost, writeFile } from "./fakes";

function proc(watches: number, instances: number): string {
    const root = tempDir("proc");
    writeFile(path.join(root, "sys/fs/inotify/max_user_watches"), `${watches}\n`);
    writeFile(path.join(root, "sys/fs/inotify/max_user_instances"), `${instances}\n`);
    return root;
}

function problemsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (error) {
        assert.ok(error instanceof PreflightError, String(error));
        return error.problems;
    }
    assert.fail("preflight passed");
}

/** A folder with a kubectl that reports `version`, first on PATH. */
function kubectlOf(version: string): string {
    const bin = tempDir("istio-mc-bin");
    writeFile(path.join(bin, "kubectl"), `#!/bin/sh\necho '{"clientVersion": {"gitVersion": "${version}"}}'\n`);
    chmodSync(path.join(bin, "kubectl"), 0o755);
    return bin;
}

const NODE_IMAGE = configFrom({}).kindNodeImage;

test("all good: versions are reported", () => {
    const host = fakeHost();
    const env = { ...host.env, PATH: `${kubectlOf("v1.36.3")}:${host.env.PATH}` };
    const report = kindPreflight(3, { env, procRoot: proc(524288, 512), platform: "linux", nodeImage: NODE_IMAGE });
    assert.deepEqual(report, [
        "docker server 28.2.2",
        "kind v0.33.0",
        "kubectl v1.36.3",
        "inotify max_user_watches=524288 max_user_instances=512",
    ]);
});

test("a kubectl more than one minor version from the node image's Kubernetes is refused, with the range", () => {
    const host = fakeHost();
    for (const version of ["v1.32.4", "v1.38.0"]) {
        const env = { ...host.env, PATH: `${kubectlOf(version)}:${host.env.PATH}` };
        assert.deepEqual(
            problemsOf(() => kindPreflight(1, { env, platform: "darwin", nodeImage: NODE_IMAGE })),
            [
                `kubectl ${version} does not work with the clusters' Kubernetes 1.36 (kubectl must be within one minor version: ` +
                    "1.35 to 1.37): install kubectl 1.36 (https://kubernetes.io/docs/tasks/tools/) first on PATH.",
            ],
        );
    }
    for (const version of ["v1.35.0", "v1.37.2"]) {
        const env = { ...host.env, PATH: `${kubectlOf(version)}:${host.env.PATH}` };
        assert.doesNotThrow(() => kindPreflight(1, { env, platform: "darwin", nodeImage: NODE_IMAGE }));
    }
});

test("docker not running: one message with the fix", () => {
    const host = fakeHost({ FAKE_DOCKER_DOWN: "1" });
    const problems = problemsOf(() => kindPreflight(3, { env: host.env, procRoot: proc(524288, 512), platform: "linux" }));
    assert.deepEqual(problems, [
        "Docker is not reachable (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): " +
            "start Docker, or check DOCKER_HOST and that your user may use the docker socket.",
    ]);
});

test("kind and docker missing, kind too old: each named with its fix", () => {
    // Only kubectl on PATH, wherever docker sits on this host (often in kubectl's own folder).
    const bin = tempDir("istio-mc-bin");
    const fakeKubectl = path.join(bin, "kubectl");
    writeFile(fakeKubectl, '#!/bin/sh\necho \'{"clientVersion": {"gitVersion": "v1.36.0"}}\'\n');
    chmodSync(fakeKubectl, 0o755);
    let problems: string[];
    try {
        problems = problemsOf(() => kindPreflight(1, { env: { ...process.env, PATH: bin }, platform: "darwin" }));
    } finally {
        rmSync(bin, { recursive: true, force: true });
    }
    assert.equal(problems.length, 2);
    assert.match(problems[0], /^docker is not installed: install Docker Engine/);
    assert.match(problems[1], /^kind is not installed: install kind v0\.33\.0 or later \(https:\/\/kind\.sigs\.k8s\.io/);

    const old = fakeHost({ FAKE_KIND_VERSION: "v0.29.0" });
    assert.deepEqual(
        problemsOf(() => kindPreflight(1, { env: old.env, platform: "darwin" })),
        ["kind v0.29.0 is older than v0.33.0, the release of the pinned node image: upgrade kind."],
    );
});

test("inotify limits too low for N clusters: the sysctl lines to run", () => {
    const host = fakeHost();
    const problems = problemsOf(() => kindPreflight(3, { env: host.env, procRoot: proc(8192, 128), platform: "linux" }));
    assert.equal(problems.length, 1);
    assert.match(
        problems[0],
        /inotify limits are too low for 3 kind clusters \(max_user_watches=8192, need 524288; max_user_instances=128, need 512\)/,
    );
    assert.match(problems[0], /sudo sysctl fs\.inotify\.max_user_watches=524288 fs\.inotify\.max_user_instances=512/);
    // More clusters need more; one cluster is fine with the defaults.
    assert.deepEqual(inotifyRequirement(8), { watches: 1048576, instances: 1024 });
    assert.doesNotThrow(() => kindPreflight(1, { env: host.env, procRoot: proc(8192, 128), platform: "linux" }));
});

/** An API server stand-in on 127.0.0.1 in a process of its own (the preflight's kubectl calls block this one). */
async function readyServer(): Promise<{ url: string; stop: () => void }> {
    const script =
        "require('http').createServer((q, s) => s.writeHead(q.url.startsWith('/readyz') ? 200 : 404).end('ok'))" +
        ".listen(0, '127.0.0.1', function () { console.log(this.address().port) })";
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<string>((resolve) => child.stdout.once("data", (chunk) => resolve(String(chunk).trim())));
    return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

test(
    "existing clusters: a missing context is named with the contexts that exist; one whose API does not answer is refused",
    { skip: missingTools(["kubectl"]) },
    async () => {
        const host = fakeHost();
        const server = await readyServer();
        try {
            writeFile(
                host.kubeconfig,
                `apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "${server.url}"}}
- {name: closed, cluster: {server: "http://127.0.0.1:1"}}
users: [{name: a, user: {token: t}}]
contexts:
- {name: east, context: {cluster: a, user: a}}
- {name: west, context: {cluster: a, user: a}}
- {name: down, context: {cluster: closed, user: a}}
`,
            );
            const config = configFrom({
                provisioner: "existing",
                clusters: [
                    { context: "east", apiServer: "https://10.0.0.1:6443" },
                    { context: "north", apiServer: "https://10.0.0.2:6443" },
                ],
            });
            assert.deepEqual(
                problemsOf(() => existingPreflight(config.clusters, host.env)),
                ['clusters[1].context "north" is not in your kubeconfig (contexts there: down, east, west).'],
            );
            const ok = configFrom({
                provisioner: "existing",
                clusters: [
                    { context: "east", apiServer: "https://10.0.0.1:6443" },
                    { context: "west", apiServer: "https://10.0.0.2:6443", kubeconfig: host.kubeconfig },
                ],
            });
            assert.deepEqual(existingPreflight(ok.clusters, host.env), [
                "cluster1: context east answers; API server for peers https://10.0.0.1:6443",
                "cluster2: context west answers; API server for peers https://10.0.0.2:6443",
            ]);
            const unreachable = configFrom({
                provisioner: "existing",
                clusters: [
                    { context: "east", apiServer: "https://10.0.0.1:6443" },
                    { context: "down", apiServer: "https://10.0.0.3:6443" },
                ],
            });
            const [problem, ...more] = problemsOf(() => existingPreflight(unreachable.clusters, host.env));
            assert.deepEqual(more, []);
            assert.match(
                problem,
                /^clusters\[1\] \(context down\): its API server does not answer \(The connection to the server 127\.0\.0\.1:1 was refused.*\)\. Start it or fix the context's address and credentials; to leave a cluster that is gone for good, set clusters\[1\]\.gone to true/,
            );
            // Marked gone, it is not asked: nothing else stops the run.
            const gone = configFrom({
                provisioner: "existing",
                clusters: [
                    { context: "east", apiServer: "https://10.0.0.1:6443" },
                    { context: "down", apiServer: "https://10.0.0.3:6443", gone: true },
                ],
            });
            assert.deepEqual(
                existingPreflight(gone.clusters, host.env)[1],
                "cluster2: marked gone, left as it is (context down not checked)",
            );

            writeFileSync(path.join(host.dir, "empty"), "");
            const missingFile = configFrom({
                provisioner: "existing",
                clusters: [{ context: "east", apiServer: "https://10.0.0.1:6443", kubeconfig: path.join(host.dir, "nope") }],
            });
            assert.match(
                problemsOf(() => existingPreflight(missingFile.clusters, host.env))[0],
                /"east" is not in kubeconfig .*nope|cannot read kubeconfig/,
            );
        } finally {
            server.stop();
        }
    },
);
