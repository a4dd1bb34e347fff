import assert from "node:assert/strict";
import { test } from "node:test";
import { helloworldVersions } from "../components/sample-apps";
import { Graph, recordMesh } from "./harness";

const deployments = (g: Graph, i: number) => g.inCluster(`istio-${i}`).filter((r) => r.type === "kubernetes:apps/v1:Deployment");

test("layout: v1 in clusters 1 and 2, v2 in cluster 3; v2 apart from v1 for any N >= 2; both for one cluster", () => {
    assert.deepEqual(
        [1, 2, 3].map((i) => helloworldVersions(i, 3)),
        [["v1"], ["v1"], ["v2"]],
    );
    assert.deepEqual(helloworldVersions(1, 1), ["v1", "v2"]);
    for (let n = 2; n <= 16; n++) {
        const layout = Array.from({ length: n }, (_, k) => helloworldVersions(k + 1, n));
        assert.ok(layout.some((v) => v.includes("v1")) && layout.some((v) => v.includes("v2")));
        assert.ok(
            layout.every((v) => v.length === 1),
            "one version per cluster when N >= 2",
        );
    }
});

test("per cluster: namespace with injection, helloworld Service, the version's Deployment, sleep; after istiod", async () => {
    const { graph } = await recordMesh({ clusterCount: "3" });
    for (const i of [1, 2, 3]) {
        const objects = graph.inCluster(`istio-${i}`);
        const ns = objects.find((r) => r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata.name === "sample")!;
        assert.deepEqual(ns.inputs.metadata.labels, { "istio-injection": "enabled" });
        const svc = objects.find((r) => r.type === "kubernetes:core/v1:Service" && r.inputs.metadata.name === "helloworld")!;
        assert.deepEqual(svc.inputs.metadata.labels, { app: "helloworld", service: "helloworld" });
        assert.deepEqual(svc.inputs.spec.ports, [{ name: "http", port: 5000 }]);
        assert.ok(objects.some((r) => r.type === "kubernetes:core/v1:ServiceAccount" && r.inputs.metadata.name === "sleep"));
        assert.ok(objects.some((r) => r.type === "kubernetes:core/v1:Service" && r.inputs.metadata.name === "sleep"));

        const deps = deployments(graph, i);
        const names = deps.map((d) => d.inputs.metadata.name).sort();
        assert.deepEqual(names, [i === 3 ? "helloworld-v2" : "helloworld-v1", "sleep"]);
        for (const d of deps) {
            assert.equal(d.inputs.metadata.namespace, "sample");
            assert.ok(graph.waitsFor(d, graph.named(`cluster${i}-istio-istiod-1-31-1`)), `${d.name} after istiod's injector`);
            const container = d.inputs.spec.template.spec.containers[0];
            assert.ok(container.resources.requests.cpu && container.resources.requests.memory, "resource requests");
            assert.match(container.image, /^docker\.io\/.+:\S+$/, "pinned Docker Hub image");
            assert.equal(container.imagePullPolicy, "IfNotPresent", "preloaded images are used");
        }
        const hw = deps.find((d) => d.inputs.metadata.name.startsWith("helloworld"))!;
        const version = i === 3 ? "v2" : "v1";
        assert.equal(hw.inputs.spec.template.spec.containers[0].image, `docker.io/istio/examples-helloworld-${version}:1.0`);
        assert.deepEqual(hw.inputs.spec.template.metadata.labels, { app: "helloworld", version });
        assert.ok(hw.inputs.spec.template.spec.containers[0].readinessProbe, "Pulumi waits for a ready pod");
        const sleep = deps.find((d) => d.inputs.metadata.name === "sleep")!;
        assert.equal(sleep.inputs.spec.template.spec.containers[0].image, "docker.io/curlimages/curl:8.16.0");
        assert.deepEqual(sleep.inputs.spec.template.spec.containers[0].command, ["/bin/sleep", "infinity"]);
    }
});

test("sampleRegistry moves the sample images; sampleApps false deploys none", async () => {
    const { graph } = await recordMesh({ clusterCount: "2", sampleRegistry: "mirror.local:5000" });
    const images = graph.ofType("kubernetes:apps/v1:Deployment").map((d) => d.inputs.spec.template.spec.containers[0].image);
    assert.ok(images.every((i) => i.startsWith("mirror.local:5000/")));
    const none = (await recordMesh({ clusterCount: "2", sampleApps: "false" })).graph;
    assert.equal(none.ofType("kubernetes:apps/v1:Deployment").length, 0);
});
