// `npm run verify`: its logic against a fake mesh.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pod, Transport, formatVerdict, parseEnvoyEndpoints, parseHello } from "../scripts/verify/logic";
import { HELLOWORLD_CLUSTER, verify } from "../scripts/verify/run";

interface FakeCluster {
    helloworld: Pod[];
    sleepReady?: boolean;
    gateway: string;
    /** Endpoints the sidecar knows ("ip:port"). */
    endpoints: string[];
    /** Instances answering, in turn; "fail" makes a call fail. */
    answers: string[];
}

function pod(name: string, ip: string, version?: string, ready = true): Pod {
    return { name, ip, ready, labels: version ? { app: "helloworld", version } : { app: "sleep" } };
}

function fakeMesh(clusters: Record<string, FakeCluster>): Transport {
    const turn = new Map<string, number>();
    return {
        contexts: async () => Object.keys(clusters),
        pods: async (context, _ns, selector) =>
            selector === "app=helloworld"
                ? clusters[context].helloworld
                : [pod(`sleep-${context}`, "10.0.0.1", undefined, clusters[context].sleepReady ?? true)],
        gatewayAddress: async (context) => clusters[context].gateway,
        exec: async (context, _ns, _pod, container, command) => {
            const c = clusters[context];
            if (container === "istio-proxy") {
                const text = c.endpoints
                    .map((e) => `${HELLOWORLD_CLUSTER}::${e}::health_flags::healthy\n${HELLOWORLD_CLUSTER}::${e}::weight::1`)
                    .join("\n");
                return {
                    code: 0,
                    stdout: `outbound|80||sleep.sample.svc.cluster.local::10.9.9.9:80::health_flags::healthy\n${text}\n`,
                    stderr: "",
                };
            }
            assert.deepEqual(command.slice(-1), ["helloworld.sample:5000/hello"]);
            const k = turn.get(context) ?? 0;
            turn.set(context, k + 1);
            const instance = c.answers[k % c.answers.length];
            if (instance === "fail") return { code: 28, stdout: "", stderr: "curl: (28) Connection timed out after 5001 milliseconds" };
            const version = /helloworld-(v\d)/.exec(instance)![1];
            return { code: 0, stdout: `Hello version: ${version}, instance: ${instance}\n`, stderr: "" };
        },
    };
}

const HW = {
    "istio-1": pod("helloworld-v1-aaa", "10.101.0.5", "v1"),
    "istio-2": pod("helloworld-v1-bbb", "10.102.0.5", "v1"),
    "istio-3": pod("helloworld-v2-ccc", "10.103.0.5", "v2"),
};
const GW = { "istio-1": "172.18.128.1", "istio-2": "172.18.136.1", "istio-3": "172.18.144.1" };

function healthyMesh(): Record<string, FakeCluster> {
    const all = Object.values(HW).map((p) => p.name);
    const mesh: Record<string, FakeCluster> = {};
    for (const ctx of ["istio-1", "istio-2", "istio-3"] as const) {
        const peers = (Object.keys(GW) as (keyof typeof GW)[]).filter((c) => c !== ctx).map((c) => `${GW[c]}:15443`);
        mesh[ctx] = { helloworld: [HW[ctx]], gateway: GW[ctx], endpoints: [`${HW[ctx].ip}:5000`, ...peers], answers: all };
    }
    return mesh;
}

const contexts = ["istio-1", "istio-2", "istio-3"];

test("parsers: helloworld's answer and Envoy's /clusters endpoints", () => {
    assert.deepEqual(parseHello("Hello version: v2, instance: helloworld-v2-7f-xz\n"), { version: "v2", instance: "helloworld-v2-7f-xz" });
    assert.equal(parseHello("upstream connect error"), undefined);
    const text = `${HELLOWORLD_CLUSTER}::10.1.2.3:5000::health_flags::healthy\n${HELLOWORLD_CLUSTER}::172.18.136.1:15443::health_flags::/failed_outlier_check\n${HELLOWORLD_CLUSTER}::10.1.2.3:5000::cx_active::0\n`;
    assert.deepEqual(parseEnvoyEndpoints(text, HELLOWORLD_CLUSTER), [
        { address: "10.1.2.3", port: 5000, healthy: true },
        { address: "172.18.136.1", port: 15443, healthy: false },
    ]);
});

test("a healthy mesh passes: every cluster reaches v1 and v2 in other clusters", async () => {
    const progress: string[] = [];
    const result = await verify(fakeMesh(healthyMesh()), { contexts, calls: 6, progress: (m) => progress.push(m) });
    assert.equal(result.ok, true, formatVerdict(result));
    assert.deepEqual(result.versions, ["v1", "v2"]);
    assert.deepEqual(result.clusters[0].answers, [
        { version: "v1", cluster: "istio-1", count: 2 },
        { version: "v1", cluster: "istio-2", count: 2 },
        { version: "v2", cluster: "istio-3", count: 2 },
    ]);
    assert.ok(progress.includes("istio-2: call 6/6"), "progress is reported");
    const text = formatVerdict(result);
    assert.match(text, /from sleep in istio-1:\n  version  cluster      calls\n  v1       istio-1      2\n/);
    assert.match(text, /helloworld endpoints known to the sidecar: 10\.101\.0\.5:5000, 172\.18\.136\.1:15443, 172\.18\.144\.1:15443/);
    assert.match(text, /^PASS: every cluster reached v1 and v2 across the mesh$/m);
});

test("a peer's gateway missing from the endpoints is flagged as broken discovery, apart from traffic", async () => {
    const mesh = healthyMesh();
    mesh["istio-1"].endpoints = mesh["istio-1"].endpoints.filter((e) => !e.startsWith(GW["istio-3"]));
    mesh["istio-1"].answers = ["helloworld-v1-aaa", "helloworld-v1-bbb"];
    const result = await verify(fakeMesh(mesh), { contexts, calls: 4 });
    assert.equal(result.ok, false);
    const r1 = result.clusters[0];
    assert.deepEqual(r1.missingGateways, [{ context: "istio-3", address: "172.18.144.1" }]);
    assert.deepEqual(r1.problems, [
        "discovery: no endpoint for istio-3's east-west gateway 172.18.144.1:15443 (the control plane does not know that cluster's endpoints)",
        "traffic: never answered by v2",
    ]);
    assert.equal(result.clusters[1].ok, true);
});

test("failing calls are traffic problems, with curl's message", async () => {
    const mesh = healthyMesh();
    mesh["istio-2"].answers = ["helloworld-v1-bbb", "fail"];
    const result = await verify(fakeMesh(mesh), { contexts, calls: 4 });
    const r2 = result.clusters[1];
    assert.equal(r2.ok, false);
    assert.ok(r2.problems.includes("traffic: 2 of 4 calls failed (curl: (28) Connection timed out after 5001 milliseconds)"));
    assert.ok(r2.problems.includes("traffic: never answered by v2"));
    assert.ok(r2.problems.includes("traffic: no answer came from another cluster"));
    assert.match(formatVerdict(result), /FAIL: see the ✗ lines above/);
});

test("a missing context and a sleep pod that is not ready get clear messages", async () => {
    const missing = await verify(fakeMesh(healthyMesh()), { contexts: ["istio-1", "istio-4"], calls: 1 });
    assert.equal(missing.ok, false);
    assert.deepEqual(
        missing.clusters.map((c) => c.problems),
        [["kube context istio-4 is missing from your kubeconfig: is the mesh up (npm run up)?"]],
    );

    const mesh = healthyMesh();
    mesh["istio-3"].sleepReady = false;
    const result = await verify(fakeMesh(mesh), { contexts, calls: 2 });
    assert.deepEqual(result.clusters[2].problems, ["sleep pod sleep-istio-3 is not ready in istio-3/sample"]);
    assert.equal(result.ok, false);
});

test("a gateway without an external address is reported as such", async () => {
    const mesh = healthyMesh();
    mesh["istio-2"].gateway = "";
    const result = await verify(fakeMesh(mesh), { contexts, calls: 3 });
    assert.ok(
        result.clusters[0].problems.includes("discovery: istio-2's east-west gateway has no external address (LoadBalancer pending?)"),
    );
});

test("--json output is the verdict as data", async () => {
    const result = await verify(fakeMesh(healthyMesh()), { contexts, calls: 3 });
    const json = JSON.parse(JSON.stringify(result));
    assert.equal(json.ok, true);
    assert.equal(json.clusters.length, 3);
});
