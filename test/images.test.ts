// Image preloading: each image pulled once on the host, loaded into every kind cluster.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { meshImages } from "../components/images";
import { Graph, configFrom, recordMesh } from "./harness";
import { fakeHost, runCreates } from "./fakes";

const commands = (g: Graph, script: string) => g.ofType("command:local:Command").filter((c) => String(c.inputs.create).endsWith(script));

test("the images of the pinned versions: Istio control plane and proxy, MetalLB, samples", () => {
    assert.deepEqual(meshImages(configFrom({ clusterCount: "3" })), [
        "docker.io/istio/pilot:1.31.1",
        "docker.io/istio/proxyv2:1.31.1",
        "quay.io/metallb/controller:v0.16.1",
        "quay.io/metallb/speaker:v0.16.1",
        "docker.io/istio/examples-helloworld-v1:1.0",
        "docker.io/istio/examples-helloworld-v2:1.0",
        "docker.io/curlimages/curl:8.16.0",
    ]);
    assert.deepEqual(meshImages(configFrom({ istioHub: "mirror.local/istio", sampleApps: "false" })).slice(0, 2), [
        "mirror.local/istio/pilot:1.31.1",
        "mirror.local/istio/proxyv2:1.31.1",
    ]);
});

for (const count of [1, 3, 6]) {
    test(`N = ${count}: one pull per image, one load per image per cluster`, async () => {
        const { graph } = await recordMesh({ clusterCount: String(count) });
        const pulls = commands(graph, "images.sh pull");
        const loads = commands(graph, "images.sh load");
        assert.equal(pulls.length, 7);
        assert.equal(new Set(pulls.map((p) => p.inputs.environment.IMAGE)).size, 7);
        assert.equal(loads.length, 7 * count);
        for (const pull of pulls) assert.deepEqual(pull.dependencies, [], "pulls start at once, beside cluster creation");
        for (const load of loads) {
            const cluster = graph.named(`${load.inputs.environment.KIND_CLUSTER_NAME}-cluster`);
            assert.ok(graph.waitsFor(load, cluster));
            assert.equal(load.deletedWith, cluster.urn);
            for (let k = 1; k <= count; k++) {
                if (`istio-${k}` !== load.inputs.environment.KIND_CLUSTER_NAME)
                    assert.ok(!graph.waitsFor(load, graph.named(`istio-${k}-cluster`)));
            }
        }
        // Helm releases and pods start from loaded images.
        for (let k = 1; k <= count; k++) {
            const istiod = graph.named(`cluster${k}-istio-istiod`);
            for (const load of loads.filter((l) => l.inputs.environment.KIND_CLUSTER_NAME === `istio-${k}`))
                assert.ok(graph.waitsFor(istiod, load));
        }
    });
}

test("preloadImages false: nothing pulled or loaded", async () => {
    const { graph } = await recordMesh({ clusterCount: "2", preloadImages: "false" });
    assert.equal(commands(graph, "images.sh pull").length + commands(graph, "images.sh load").length, 0);
});

test("with fake docker and kind: 7 pulls for 3 clusters, 7 loads into each; a second run pulls nothing", async () => {
    const { graph } = await recordMesh({ clusterCount: "3" });
    const host = fakeHost();
    runCreates(graph, host, /kind-cluster\.sh create|images\.sh/);
    const calls = host.calls();
    assert.equal(calls.filter((c) => c.startsWith("docker pull")).length, 7);
    assert.ok(calls.some((c) => c === "docker pull --platform linux/amd64 docker.io/istio/pilot:1.31.1"));
    for (const k of [1, 2, 3]) {
        const loads = calls.filter((c) => c.startsWith("kind load image-archive") && c.endsWith(`--name istio-${k}`));
        assert.equal(loads.length, 7);
    }
    assert.ok(existsSync(`${host.dir}/.cache/istio-multicluster/images/docker.io_istio_pilot_1.31.1.tar`));
    // The host has every image now: pulling again is skipped.
    const again = host.run("images.sh", ["pull"], { IMAGE: "docker.io/istio/pilot:1.31.1" });
    assert.equal(again.status, 0);
    assert.equal(host.calls().filter((c) => c.startsWith("docker pull")).length, 7);
});

test("a failed pull names the image and what to do", () => {
    const host = fakeHost({ FAKE_PULL_FAIL: "docker.io/istio/proxyv2:1.31.1" });
    const result = host.run("images.sh", ["pull"], { IMAGE: "docker.io/istio/proxyv2:1.31.1" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /could not pull docker\.io\/istio\/proxyv2:1\.31\.1: Error response from daemon: toomanyrequests/);
    assert.match(result.stderr, /docker login.*istioHub\/sampleRegistry at a mirror/);
    const ok = host.run("images.sh", ["pull"], { IMAGE: "docker.io/istio/pilot:1.31.1" });
    assert.equal(ok.status, 0, "other images are unaffected");
});

test("loading an archive that left the cache pulls it again first", () => {
    const host = fakeHost();
    const result = host.run("images.sh", ["load"], {
        IMAGE: "docker.io/curlimages/curl:8.16.0",
        ARCHIVE: "/gone.tar",
        KIND_CLUSTER_NAME: "istio-1",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /image archive \/gone\.tar is missing: pulling docker\.io\/curlimages\/curl:8\.16\.0 again/);
    const calls = host.calls();
    assert.ok(calls.includes("docker pull --platform linux/amd64 docker.io/curlimages/curl:8.16.0"));
    assert.ok(calls.some((c) => /^kind load image-archive \S+docker\.io_curlimages_curl_8\.16\.0\.tar --name istio-1$/.test(c)));
});
