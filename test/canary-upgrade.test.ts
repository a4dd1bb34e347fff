// A canary upgrade through the whole program under mocks, each step reading back what the step
// before left (the stack's istioRevisions output), as `pulumi up` does with its self StackReference.
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { Graph, Recorded } from "./harness";
import { RememberedOutputs, recordStack } from "../scripts/plan-diff/record";

const ROOT = path.join(__dirname, "..");
const STACK = "no-such-stack-file"; // Pulumi.yaml's defaults only

interface Step {
    graph: Graph;
    outputs: RememberedOutputs;
}

function up(config: Record<string, string>, last: RememberedOutputs = {}): Promise<Step> {
    return recordStack(ROOT, config, STACK, last);
}

const managed = (graph: Graph) => graph.resources.filter((r) => r.custom && !r.read && !r.type.startsWith("pulumi:"));
const byName = (graph: Graph) => new Map(managed(graph).map((r) => [r.name, r]));

/** Names added, removed and changed (inputs) from one step to the next. */
function changes(before: Graph, after: Graph) {
    const a = byName(before);
    const b = byName(after);
    const sorted = (names: string[]) => names.sort();
    return {
        added: sorted([...b.keys()].filter((n) => !a.has(n))),
        removed: sorted([...a.keys()].filter((n) => !b.has(n))),
        changed: sorted([...b.keys()].filter((n) => a.has(n) && JSON.stringify(a.get(n)!.inputs) !== JSON.stringify(b.get(n)!.inputs))),
    };
}

const CLUSTERS = [1, 2, 3];
const perCluster = (names: (i: number) => string[]) => CLUSTERS.flatMap(names).sort();
const samples = (suffix: string, i: number) => [
    `cluster${i}-samples${suffix}-namespace`,
    `cluster${i}-samples${suffix}-helloworld-service`,
    `cluster${i}-samples${suffix}-helloworld-sa`,
    `cluster${i}-samples${suffix}-helloworld-${i === 3 ? "v2" : "v1"}`,
    `cluster${i}-samples${suffix}-sleep-sa`,
    `cluster${i}-samples${suffix}-sleep-service`,
    `cluster${i}-samples${suffix}-sleep`,
];
const sampleDeployments = (suffix: string, i: number) => [
    `cluster${i}-samples${suffix}-helloworld-${i === 3 ? "v2" : "v1"}`,
    `cluster${i}-samples${suffix}-sleep`,
];

function tagTarget(graph: Graph, i: number, tag: string): string | undefined {
    const webhook = byName(graph).get(`cluster${i}-istio-tag-${tag}`);
    if (!webhook) return undefined;
    const services = new Set<string>(webhook.inputs.webhooks.map((w: any) => w.clientConfig.service.name));
    assert.equal(services.size, 1);
    assert.equal(
        webhook.inputs.metadata.labels["istio.io/rev"],
        [...services][0].replace(/^istiod-/, ""),
        "istiod patches the caBundle by this label",
    );
    return [...services][0];
}

function istiods(graph: Graph, i: number) {
    return managed(graph)
        .filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "istiod" && r.name.startsWith(`cluster${i}-`))
        .map((r) => ({ release: r.inputs.name, version: r.inputs.version, revision: r.inputs.values.revision ?? "" }))
        .sort((x, y) => x.release.localeCompare(y.release));
}

const annotation = (r: Recorded) => r.inputs.spec.template.metadata.annotations["istio-multicluster/revision"];

/** No resource of one cluster waits for another cluster's (endpoint discovery is no cluster's own). */
function assertClustersIndependent(graph: Graph) {
    for (const i of CLUSTERS) {
        for (const r of graph.inCluster(`cluster${i}`)) {
            for (const j of CLUSTERS.filter((j) => j !== i)) {
                const other = graph.inCluster(`cluster${j}`).find((o) => graph.waitsFor(r, o));
                assert.equal(other, undefined, `${r.name} waits for ${other?.name}`);
            }
        }
    }
}

test("steps 1, 2, 3 and rollback: releases, tags, restarts, and nothing else changes", async () => {
    const step0 = await up({});
    const again = await up({}, step0.outputs);
    assert.deepEqual(changes(step0.graph, again.graph), { added: [], removed: [], changed: [] }, "a second up changes nothing");
    for (const i of CLUSTERS) {
        assert.deepEqual(istiods(step0.graph, i), [{ release: "istiod-1-31-1", version: "1.31.1", revision: "1-31-1" }]);
        assert.equal(tagTarget(step0.graph, i, "default"), "istiod-1-31-1");
        assert.equal(tagTarget(step0.graph, i, "canary"), undefined);
    }

    // Step 1: a canary beside the current revision; the CRDs move first; nothing restarts.
    const step1 = await up({ istioCanary: "1.31.4" }, step0.outputs);
    assert.deepEqual(changes(step0.graph, step1.graph), {
        added: [
            ...perCluster((i) => [`cluster${i}-istio-istiod-1-31-4`, `cluster${i}-istio-tag-canary`, ...samples("-canary", i)]),
            "images-pull-istio-pilot-1-31-4",
            "images-pull-istio-proxyv2-1-31-4",
        ].sort(),
        removed: [],
        changed: ["images-save", ...perCluster((i) => [`cluster${i}-istio-istio-base`, `cluster${i}-load-images`])].sort(),
    });
    for (const i of CLUSTERS) {
        const g = byName(step1.graph);
        assert.deepEqual(istiods(step1.graph, i), [
            { release: "istiod-1-31-1", version: "1.31.1", revision: "1-31-1" },
            { release: "istiod-1-31-4", version: "1.31.4", revision: "1-31-4" },
        ]);
        const base = g.get(`cluster${i}-istio-istio-base`)!;
        assert.equal(base.inputs.version, "1.31.4");
        assert.deepEqual(base.inputs.values, { defaultRevision: "1-31-1" });
        assert.ok(step1.graph.waitsFor(g.get(`cluster${i}-istio-istiod-1-31-4`)!, base), "CRDs before the canary");
        assert.equal(tagTarget(step1.graph, i, "default"), "istiod-1-31-1");
        assert.equal(tagTarget(step1.graph, i, "canary"), "istiod-1-31-4");
        assert.ok(step1.graph.waitsFor(g.get(`cluster${i}-istio-tag-canary`)!, g.get(`cluster${i}-istio-istiod-1-31-4`)!));
        const ns = g.get(`cluster${i}-samples-canary-namespace`)!;
        assert.deepEqual(ns.inputs.metadata, { name: "sample-canary", labels: { "istio.io/rev": "canary" } });
        for (const name of sampleDeployments("-canary", i)) {
            assert.equal(annotation(g.get(name)!), "1-31-4");
            assert.ok(step1.graph.waitsFor(g.get(name)!, g.get(`cluster${i}-istio-tag-canary`)!), "canary pods after the canary's webhook");
        }
    }
    assertClustersIndependent(step1.graph);
    assert.deepEqual(changes(step1.graph, (await up({ istioCanary: "1.31.4" }, step1.outputs)).graph).changed, []);

    // Step 2: promote. Default tag, gateways and the program's workloads move; the old revision stays.
    const step2 = await up({ istioCanary: "1.31.4", istioVersion: "1.31.4" }, step1.outputs);
    assert.deepEqual(changes(step1.graph, step2.graph), {
        added: [],
        removed: perCluster((i) => [`cluster${i}-istio-tag-canary`, ...samples("-canary", i)]),
        changed: perCluster((i) => [
            `cluster${i}-istio-istio-base`,
            `cluster${i}-istio-tag-default`,
            `cluster${i}-istio-eastwestgateway`,
            ...sampleDeployments("", i),
        ]),
    });
    for (const i of CLUSTERS) {
        const g = byName(step2.graph);
        assert.equal(istiods(step2.graph, i).length, 2);
        assert.equal(tagTarget(step2.graph, i, "default"), "istiod-1-31-4");
        assert.deepEqual(g.get(`cluster${i}-istio-istio-base`)!.inputs.values, { defaultRevision: "1-31-4" });
        const gateway = g.get(`cluster${i}-istio-eastwestgateway`)!;
        assert.equal(gateway.inputs.version, "1.31.4");
        assert.equal(gateway.inputs.values.revision, "1-31-4");
        for (const name of sampleDeployments("", i)) assert.equal(annotation(g.get(name)!), "1-31-4");
    }
    assertClustersIndependent(step2.graph);
    assert.deepEqual(changes(step2.graph, (await up({ istioCanary: "1.31.4", istioVersion: "1.31.4" }, step2.outputs)).graph).changed, []);

    // Rollback while the old revision runs: back to step 1's layout exactly.
    const rollback = await up({ istioCanary: "1.31.4", istioVersion: "1.31.1" }, step2.outputs);
    assert.deepEqual(changes(step1.graph, rollback.graph), { added: [], removed: [], changed: [] });

    // Step 3: the old revision goes; nothing else changes.
    const step3 = await up({ istioVersion: "1.31.4" }, step2.outputs);
    assert.deepEqual(changes(step2.graph, step3.graph), {
        added: [],
        removed: [
            ...perCluster((i) => [`cluster${i}-istio-istiod-1-31-1`]),
            "images-pull-istio-pilot-1-31-1",
            "images-pull-istio-proxyv2-1-31-1",
        ].sort(),
        changed: ["images-save", ...perCluster((i) => [`cluster${i}-load-images`])].sort(),
    });
    assert.deepEqual((await up({ istioVersion: "1.31.4" }, step3.outputs)).outputs, step3.outputs);
});

test("shared by both revisions and never replaced: cacerts, PKI, remote secrets, federation objects, mesh identity", async () => {
    for (const discovery of ["endpoint", "federated"]) {
        const step0 = await up({ discovery });
        const step1 = await up({ discovery, istioCanary: "1.31.4" }, step0.outputs);
        const step2 = await up({ discovery, istioCanary: "1.31.4", istioVersion: "1.31.4" }, step1.outputs);
        const step3 = await up({ discovery, istioVersion: "1.31.4" }, step2.outputs);
        for (const step of [step1, step2, step3]) {
            const now = byName(step.graph);
            for (const r of managed(step0.graph)) {
                const shared =
                    r.type.startsWith("tls:") ||
                    r.name.endsWith("-cacerts") ||
                    r.name.startsWith("endpoint-discovery") ||
                    r.name.includes("-federation-") ||
                    (r.type.startsWith("command:") && !r.name.includes("images"));
                if (!shared) continue;
                assert.deepEqual(now.get(r.name)?.inputs, r.inputs, `${discovery}: ${r.name} unchanged`);
            }
            for (const release of managed(step.graph).filter((r) => r.inputs.chart === "istiod")) {
                const global = release.inputs.values.global;
                assert.equal(global.meshID, "mesh1");
                assert.match(global.multiCluster.clusterName, /^cluster[123]$/);
                assert.equal(global.network, global.multiCluster.clusterName.replace("cluster", "network"));
            }
        }
        if (discovery === "federated") {
            // The canary copy of helloworld is exported too, so canary sidecars reach it across clusters.
            const entries = step1.graph.objects("WorkloadEntry").map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`);
            assert.ok(entries.includes("sample-canary/helloworld-cluster2"));
            assert.ok(!step2.graph.objects("WorkloadEntry").some((r) => r.inputs.metadata.namespace === "sample-canary"));
        }
    }
});

test("a stack of the earlier release (one unrevisioned istiod): refused without istioCanary; kept beside the new revision with it; then removed", async () => {
    const legacy = { istioVersion: "1.31.1" };
    const refused = await up({}, legacy).then(
        () => undefined,
        (error: Error) => error,
    );
    assert.match(String(refused?.message), /^This stack runs the unrevisioned istiod \(1\.31\.1\) of an earlier release of this program;/);

    const migration = await up({ istioCanary: "1.31.1" }, legacy);
    const g = byName(migration.graph);
    for (const i of CLUSTERS) {
        assert.deepEqual(istiods(migration.graph, i), [
            { release: "istiod", version: "1.31.1", revision: "" },
            { release: "istiod-1-31-1", version: "1.31.1", revision: "1-31-1" },
        ]);
        const kept = g.get(`cluster${i}-istio-istiod`)!; // the earlier release's resource name: updated, not replaced
        assert.equal(kept.inputs.values.revision, undefined);
        assert.equal(kept.inputs.values.global.operatorManageWebhooks, true, "its own injector is switched off");
        const tag = g.get(`cluster${i}-istio-tag-default`)!;
        assert.ok(migration.graph.waitsFor(tag, kept), "the default tag only after the old injector is off");
        assert.ok(migration.graph.waitsFor(tag, g.get(`cluster${i}-istio-istiod-1-31-1`)!));
        assert.equal(g.get(`cluster${i}-istio-eastwestgateway`)!.inputs.values.revision, "1-31-1");
        for (const name of sampleDeployments("", i)) assert.equal(annotation(g.get(name)!), "1-31-1");
    }
    // Outputs of the earlier release: its endpoint discovery per pair is declared once more, to be
    // forgotten by the next update (components/legacy/remote-access-pairs.ts).
    const pairs = CLUSTERS.flatMap((i) => CLUSTERS.filter((j) => j !== i).map((j) => `cluster${i}-reads-cluster${j}`));
    const pairParts = pairs.flatMap((pair) => [`${pair}-token`, `${pair}-token-data`, `${pair}-remote-secret`]);
    for (const name of pairParts)
        assert.equal(g.get(name)?.retainOnDelete, true, `${name} is kept in the clusters when it leaves the stack`);
    const cleanup = await up({}, migration.outputs);
    assert.deepEqual(changes(migration.graph, cleanup.graph), {
        added: [],
        removed: [...perCluster((i) => [`cluster${i}-istio-istiod`]), ...pairParts].sort(),
        changed: [],
    });
    assert.deepEqual(changes((await up({})).graph, cleanup.graph), { added: [], removed: [], changed: [] }, "the layout of a fresh stack");
});
