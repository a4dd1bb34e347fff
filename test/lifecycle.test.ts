// Up and down on the host side, with the program's own commands and fake kind/docker:
// destroy leaves no cluster and no context behind, and the user's own contexts untouched.
import assert from "node:assert/strict";
import { test } from "node:test";
import { recordMesh } from "./harness";
import { fakeHost, runCreates, writeFile } from "./fakes";

test("create 3 clusters, then destroy them: no cluster, no istio context, the user's context kept", async () => {
    const { graph } = await recordMesh({ clusterCount: "3" });
    const host = fakeHost();
    writeFile(
        host.kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: work, cluster: {server: 'https://work:6443'}}]\nusers: [{name: me, user: {token: t}}]\ncontexts: [{name: work, context: {cluster: work, user: me}}]\ncurrent-context: work\n",
    );
    runCreates(graph, host, /kind-cluster\.sh (create|kubeconfig)/);
    assert.deepEqual(host.kubectl("config", "get-contexts", "-o", "name").trim().split("\n").sort(), [
        "istio-1",
        "istio-2",
        "istio-3",
        "work",
    ]);

    // pulumi destroy runs each cluster Command's delete with the environment in its state.
    for (const cluster of graph.ofType("command:local:Command").filter((c) => String(c.inputs.create).endsWith("kind-cluster.sh create"))) {
        assert.equal(cluster.inputs.delete, "bash scripts/kind-cluster.sh delete");
        const result = host.run("kind-cluster.sh", ["delete"], cluster.inputs.environment);
        assert.equal(result.status, 0, result.stderr);
    }
    const clusters = host.run("kind-cluster.sh", ["kubeconfig"], { KIND_CLUSTER_NAME: "istio-1" });
    assert.notEqual(clusters.status, 0, "the cluster is gone");
    assert.deepEqual(host.kubectl("config", "get-contexts", "-o", "name").trim().split("\n"), ["work"]);
    assert.equal(host.kubectl("config", "current-context").trim(), "work");
    assert.deepEqual(host.kubectl("config", "get-clusters").trim().split("\n").slice(1), ["work"]);

    // A second destroy (or one after a manual `kind delete cluster`) still succeeds.
    const again = host.run("kind-cluster.sh", ["delete"], { KIND_CLUSTER_NAME: "istio-2", KUBE_CONTEXT: "istio-2" });
    assert.equal(again.status, 0);
});
