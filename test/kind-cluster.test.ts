// KindCluster and MetalLB under Pulumi mocks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { kindCluster } from "../components/config";
import { kindConfig, kindConfigYaml } from "../components/kind/kind-config";
import { chartValues, customResourceErrors, metallbValuesErrors, unknownValuePaths, UPSTREAM_SKIP } from "./fixtures";
import { missingTools } from "./real-tools";
import { recordMesh } from "./harness";

// kind decodes its config strictly before it talks to docker: with no docker reachable, a
// config it accepts fails on "docker info", one it rejects fails on the config itself.
function kindDecodes(configYaml: string): { ok: boolean; message: string } {
    const dir = mkdtempSync(path.join(tmpdir(), "istio-mc-kind-config-"));
    try {
        writeFileSync(path.join(dir, "kind.yaml"), configYaml);
        const result = spawnSync("kind", ["create", "cluster", "--name", "istio-mc-test-decode", "--config", path.join(dir, "kind.yaml")], {
            encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" },
        });
        return { ok: /failed to get docker info/.test(result.stderr), message: result.stderr.split("\n")[0] };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

const noKind = missingTools(["kind"]);
test("the real kind CLI accepts the config of every cluster, and rejects one with an unknown field", { skip: noKind }, () => {
    for (const index of [1, 2, 16]) {
        const decoded = kindDecodes(kindConfigYaml(kindCluster(index), "kindest/node:v1.36.4"));
        assert.ok(decoded.ok, `cluster ${index}: ${decoded.message}`);
    }
    const bad = kindDecodes(stringify({ ...kindConfig(kindCluster(1), "x"), networking: { podCIDR: "10.0.0.0/16" } }));
    assert.equal(bad.ok, false);
    assert.match(bad.message, /^ERROR: failed to create cluster: unable to decode config: yaml: unmarshal errors:$/);
});

test("N clusters are created independently, each replaced delete-first, kubeconfig kept secret", async () => {
    const { graph } = await recordMesh({ clusterCount: "3" });
    const clusters = graph.ofType("command:local:Command").filter((r) => String(r.inputs.create).endsWith("kind-cluster.ts create"));
    assert.deepEqual(clusters.map((c) => c.inputs.environment.KIND_CLUSTER_NAME).sort(), ["istio-1", "istio-2", "istio-3"]);
    for (const cluster of clusters) {
        assert.deepEqual(cluster.dependencies, [], `${cluster.name} waits for nothing`);
        for (const other of clusters) assert.ok(!graph.waitsFor(cluster, other));
        assert.equal(cluster.deleteBeforeReplace, true, "fixed names: delete before replace");
        assert.equal(cluster.inputs.delete, "node --import tsx scripts/kind-cluster.ts delete");
        const config = parse(cluster.inputs.environment.KIND_CONFIG);
        assert.deepEqual(cluster.inputs.triggers, [cluster.inputs.environment.KIND_CONFIG], "a config change replaces the cluster");
        assert.equal(config.nodes[0].image, "kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed");
    }
    const kubeconfigs = graph.ofType("command:local:Command").filter((r) => String(r.inputs.create).endsWith("kind-cluster.ts kubeconfig"));
    assert.equal(kubeconfigs.length, 3);
    for (const k of kubeconfigs) {
        assert.deepEqual(k.additionalSecretOutputs, ["stdout"]);
        assert.equal(k.inputs.logging, "stderr", "the kubeconfig is never logged");
    }
    for (const provider of graph.ofType("pulumi:providers:kubernetes")) {
        assert.ok(provider.secretInputs.includes("kubeconfig"), `${provider.name}: kubeconfig secret in state`);
    }
});

test("every in-cluster resource is deletedWith its kind cluster and uses its provider", async () => {
    const { graph } = await recordMesh({ clusterCount: "2" });
    const clusterUrn = (i: number) => graph.named(`istio-${i}-cluster`).urn;
    const inCluster = graph.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.read);
    assert.ok(inCluster.length > 20);
    for (const r of inCluster) {
        const index = r.provider.includes("::istio-1-provider::") ? 1 : 2;
        assert.equal(r.deletedWith, clusterUrn(index), `${r.name} is deletedWith its cluster`);
    }
});

test(
    "MetalLB: L2 release, then the webhook wait, then pool and advertisement; the pool is carved from the docker network",
    { skip: UPSTREAM_SKIP },
    async () => {
        const { graph } = await recordMesh({ clusterCount: "3" });
        for (const i of [1, 2, 3]) {
            const release = graph.named(`cluster${i}-metallb-metallb`);
            assert.equal(release.inputs.chart, "metallb");
            assert.equal(release.inputs.version, "0.16.1");
            assert.equal(release.inputs.repositoryOpts.repo, "https://metallb.github.io/metallb");
            assert.equal(release.inputs.namespace, "metallb-system");
            // Single-node kind clusters: the control plane carries exclude-from-external-load-balancers,
            // which MetalLB honours unless told otherwise (metallb#2274, kind#3506).
            assert.deepEqual(release.inputs.values, {
                speaker: { frr: { enabled: false }, ignoreExcludeLB: true },
                frrk8s: { enabled: false },
            });
            assert.deepEqual(unknownValuePaths(release.inputs.values, chartValues("metallb")), []);
            assert.deepEqual(metallbValuesErrors(release.inputs.values), []);

            const wait = graph.named(`cluster${i}-metallb-webhook-ready`);
            assert.ok(graph.waitsFor(wait, release));
            assert.ok(wait.secretInputs.includes("environment"), "the kubeconfig passed to kubectl stays secret");
            const pool = graph.named(`cluster${i}-metallb-pool`);
            const l2 = graph.named(`cluster${i}-metallb-l2-advertisement`);
            assert.ok(graph.waitsFor(pool, wait) && graph.waitsFor(l2, wait), "pool after the webhook is up");
            assert.deepEqual(customResourceErrors(pool.inputs), []);
            assert.deepEqual(customResourceErrors(l2.inputs), []);
            assert.deepEqual(pool.inputs.spec.addresses, [`172.18.${128 + 8 * (i - 1)}.1-172.18.${135 + 8 * (i - 1)}.254`]);
            assert.deepEqual(l2.inputs.spec.ipAddressPools, [pool.inputs.metadata.name]);
            assert.match(parse(wait.inputs.environment.MANIFEST).spec.addresses[0], /^172\.18\./);
        }
    },
);
