// Up and down on the host side with the program's own kind Commands (their command lines and
// environment as recorded under mocks), run as the Command provider runs them (`sh -c`) on the
// real Docker engine: destroy leaves no cluster, no container and no context of ours behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { DockerHost, PREFIX, ROOT, dockerHost, dockerTierSkip, sh } from "./docker-host";
import { recordMesh } from "./harness";

const skip = dockerTierSkip();
let host: DockerHost;
before(() => {
    if (!skip) host = dockerHost();
});
after(() => host?.cleanup());

/** The recorded environment, with the cluster renamed into the test's namespace. */
const testEnv = (env: Record<string, string>) => ({
    ...env,
    KIND_CLUSTER_NAME: `${PREFIX}-${env.KIND_CLUSTER_NAME}`,
    KUBE_CONTEXT: `${PREFIX}-${env.KUBE_CONTEXT}`,
});

function runAsync(line: string, env: Record<string, string>): Promise<{ status: number; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("sh", ["-c", line], { cwd: ROOT, env: { ...host.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("exit", (code) => resolve({ status: code ?? -1, stderr }));
    });
}

test("two clusters created at once, then destroyed: no node, no context of ours; the user's context kept", { skip }, async () => {
    const { graph } = await recordMesh({ clusterCount: "2", kindNodeImage: host.image });
    const commands = graph.ofType("command:local:Command");
    const clusters = commands.filter((c) => c.name.endsWith("-cluster"));
    assert.deepEqual(clusters.map((c) => c.name).sort(), ["istio-1-cluster", "istio-2-cluster"]);
    mkdirSync(path.dirname(host.kubeconfig), { recursive: true });
    writeFileSync(
        host.kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: work, cluster: {server: 'https://work:6443'}}]\nusers: [{name: me, user: {token: t}}]\ncontexts: [{name: work, context: {cluster: work, user: me}}]\ncurrent-context: work\n",
    );

    const created = await Promise.all(clusters.map((c) => runAsync(c.inputs.create, testEnv(c.inputs.environment))));
    for (const result of created) assert.equal(result.status, 0, result.stderr);
    const contexts = () => sh("kubectl", ["config", "get-contexts", "-o", "name"], { env: host.env }).stdout.trim().split("\n").sort();
    assert.deepEqual(contexts(), [`${PREFIX}-istio-1`, `${PREFIX}-istio-2`, "work"]);

    for (const read of commands.filter((c) => c.name.endsWith("-kubeconfig"))) {
        const result = host.command(read.inputs.create, testEnv(read.inputs.environment));
        assert.equal(result.status, 0, result.stderr);
        assert.equal(parse(result.stdout).contexts[0].name, `kind-${PREFIX}-${read.inputs.environment.KIND_CLUSTER_NAME}`);
    }

    // pulumi destroy runs each cluster Command's delete with the environment in its state.
    for (const cluster of clusters) {
        const result = host.command(cluster.inputs.delete, testEnv(cluster.inputs.environment));
        assert.equal(result.status, 0, result.stderr);
    }
    assert.deepEqual(host.nodes(), []);
    assert.deepEqual(contexts(), ["work"]);
    assert.equal(sh("kubectl", ["config", "current-context"], { env: host.env }).stdout.trim(), "work");
    // A second destroy (or one after a manual `kind delete cluster`) still succeeds.
    assert.equal(host.command(clusters[0].inputs.delete, testEnv(clusters[0].inputs.environment)).status, 0);
});

test("a stack made by the previous release destroys with the delete line in its state", { skip }, async () => {
    const { graph } = await recordMesh({ clusterCount: "1", kindNodeImage: host.image });
    const cluster = graph.named("istio-1-cluster");
    const env = testEnv(cluster.inputs.environment);
    assert.equal(host.command(cluster.inputs.create, env).status, 0);
    const result = host.command("bash scripts/kind-cluster.sh delete", env);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(host.nodes(), []);
});
