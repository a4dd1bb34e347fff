// `npm run verify`: its logic against a fake mesh.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pod, Transport, callCap, callNeeds, formatVerdict, parseEnvoyEndpoints, parseHello } from "../scripts/verify/logic";
import { HELLOWORLD_CLUSTER, verify } from "../scripts/verify/run";

interface FakeCluster {
    helloworld: Pod[];
    sleepReady?: boolean;
    gateway: string;
    /** Endpoints the sidecar knows ("ip:port"). */
    endpoints: string[];
    /** Instances answering, in turn; "fail" makes a call fail. */
    answers: string[];
    /** The revision that injected its pods (their istio.io/rev annotation). */
    revision?: string;
}

function pod(name: string, ip: string, version?: string, ready = true): Pod {
    return { name, ip, ready, labels: version ? { app: "helloworld", version } : { app: "sleep" } };
}

/** `clusters` in namespace sample; `canary`, if given, the same in sample-canary. */
function fakeMesh(
    clusters: Record<string, FakeCluster>,
    dns: Record<string, string[]> = {},
    canary?: Record<string, FakeCluster>,
): Transport {
    const turn = new Map<string, number>();
    const inNamespace = (ns: string) => (ns === "sample" ? clusters : ns === "sample-canary" ? canary : undefined);
    return {
        contexts: async () => Object.keys(clusters),
        resolve: async (host) => {
            if (!dns[host]) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
            return dns[host];
        },
        pods: async (context, ns, selector) => {
            const c = inNamespace(ns)?.[context];
            if (!c) return []; // kubectl lists nothing in a namespace that does not exist
            const pods =
                selector === "app=helloworld" ? c.helloworld : [pod(`sleep-${context}`, "10.0.0.1", undefined, c.sleepReady ?? true)];
            return c.revision ? pods.map((p) => ({ ...p, revision: c.revision })) : pods;
        },
        gatewayAddress: async (context) => clusters[context].gateway,
        exec: async (context, ns, _pod, container, command) => {
            const c = inNamespace(ns)![context];
            const upstream = `outbound|5000||helloworld.${ns}.svc.cluster.local`;
            if (container === "istio-proxy") {
                const text = c.endpoints.map((e) => `${upstream}::${e}::health_flags::healthy\n${upstream}::${e}::weight::1`).join("\n");
                return {
                    code: 0,
                    stdout: `outbound|80||sleep.sample.svc.cluster.local::10.9.9.9:80::health_flags::healthy\n${text}\n`,
                    stderr: "",
                };
            }
            assert.deepEqual(command.slice(-1), [`helloworld.${ns}:5000/hello`]);
            const k = turn.get(`${ns}/${context}`) ?? 0;
            turn.set(`${ns}/${context}`, k + 1);
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
    assert.match(
        text,
        /from sleep in istio-1 \(namespace sample, sidecar revision unknown\):\n  version  cluster      calls\n  v1       istio-1      2\n/,
    );
    assert.match(text, /helloworld endpoints known to the sidecar: 10\.101\.0\.5:5000, 172\.18\.136\.1:15443, 172\.18\.144\.1:15443/);
    assert.match(text, /^PASS: every cluster reached v1 and v2 across the mesh$/m);
});

test("during a canary upgrade both sample namespaces are checked, each sidecar's revision reported", async () => {
    const stable = healthyMesh();
    const canary = healthyMesh();
    for (const c of Object.values(stable)) c.revision = "1-31-1";
    for (const c of Object.values(canary)) c.revision = "1-31-4";
    const result = await verify(fakeMesh(stable, {}, canary), { contexts, calls: 6 });
    assert.equal(result.ok, true, formatVerdict(result));
    assert.deepEqual(
        result.clusters.map((r) => [r.context, r.namespace, r.sidecars]),
        contexts
            .map((c) => [c, "sample", { sleep: "1-31-1", helloworld: ["1-31-1"] }])
            .concat(contexts.map((c) => [c, "sample-canary", { sleep: "1-31-4", helloworld: ["1-31-4"] }])),
    );
    const text = formatVerdict(result);
    assert.match(text, /from sleep in istio-3 \(namespace sample-canary, sidecar revision 1-31-4\):\n/);
    assert.match(text, /helloworld sidecar revisions: 1-31-4\n/);
    // A canary sample that cannot reach across clusters fails the whole verdict.
    canary["istio-2"].endpoints = [canary["istio-2"].endpoints[0]];
    canary["istio-2"].answers = ["helloworld-v1-bbb"];
    const broken = await verify(fakeMesh(stable, {}, canary), { contexts, calls: 4 });
    assert.equal(broken.ok, false);
    assert.deepEqual(
        broken.clusters.filter((r) => !r.ok).map((r) => `${r.context}/${r.namespace}`),
        ["istio-2/sample-canary"],
    );
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

test("without --calls verify stops as soon as every cluster and version answered, and prints its bound", async () => {
    const result = await verify(fakeMesh(healthyMesh()), { contexts });
    assert.equal(result.ok, true, formatVerdict(result));
    // 3 clusters, needs: each of 3 clusters and 2 versions; p = 1/3 each: ceil(ln(0.001/(3*5)) / ln(2/3)) = 24.
    assert.deepEqual(
        result.clusters.map((c) => c.calls),
        [
            { made: 3, cap: 24 },
            { made: 3, cap: 24 },
            { made: 3, cap: 24 },
        ],
    );
    assert.match(
        formatVerdict(result),
        /calls: 3, stopping once every cluster and version answered; at most 24, so a healthy mesh fails by chance with probability < 0\.1%/,
    );
    const fixed = await verify(fakeMesh(healthyMesh()), { contexts, calls: 5 });
    assert.deepEqual(fixed.clusters[0].calls, { made: 5 }, "--calls is exact");
});

test("the cap follows the mesh: more clusters, more calls; one cluster running both versions", () => {
    const mesh = (n: number) => new Map(Array.from({ length: n }, (_, k) => [`c${k + 1}`, [{ version: k + 1 === n ? "v2" : "v1" }]]));
    assert.equal(callCap(callNeeds(mesh(3)), 3), 24);
    assert.equal(callCap(callNeeds(mesh(16)), 16), Math.ceil(Math.log(0.001 / (16 * 18)) / Math.log(15 / 16)));
    const single = callNeeds(new Map([["c1", [{ version: "v1" }, { version: "v2" }]]]));
    assert.deepEqual(
        single.map((n) => [n.what, n.p]),
        [
            ["an answer from c1", 1],
            ["an answer from v1", 0.5],
            ["an answer from v2", 0.5],
        ],
    );
});

/** Deterministic pseudo-random numbers (mulberry32), so the statistics below never flake. */
function random(seed: number): () => number {
    return () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** N clusters, v1 in 1..N-1, v2 in N; each call lands in a uniformly random cluster, as Istio balances them. */
function randomMesh(n: number, next: () => number, silent?: number): Transport {
    const name = (j: number) => `c${j}`;
    const version = (j: number) => (j === n ? "v2" : "v1");
    return {
        contexts: async () => Array.from({ length: n }, (_, k) => name(k + 1)),
        resolve: async () => [],
        pods: async (context, ns, selector) => {
            const j = Number(context.slice(1));
            if (ns !== "sample") return [];
            return selector === "app=helloworld"
                ? [pod(`helloworld-${version(j)}-${j}`, `10.${100 + j}.0.5`, version(j))]
                : [pod(`sleep-${j}`, "10.0.0.1")];
        },
        gatewayAddress: async (context) => `172.18.${Number(context.slice(1))}.1`,
        exec: async (context, _ns, _pod, container) => {
            const i = Number(context.slice(1));
            if (container === "istio-proxy") {
                const eps = [
                    `10.${100 + i}.0.5:5000`,
                    ...Array.from({ length: n }, (_, k) => k + 1)
                        .filter((j) => j !== i)
                        .map((j) => `172.18.${j}.1:15443`),
                ];
                return { code: 0, stdout: eps.map((e) => `${HELLOWORLD_CLUSTER}::${e}::health_flags::healthy`).join("\n"), stderr: "" };
            }
            const j = 1 + Math.floor(next() * n);
            if (j === silent) return { code: 28, stdout: "", stderr: "curl: (28) Operation timed out" };
            return { code: 0, stdout: `Hello version: ${version(j)}, instance: helloworld-${version(j)}-${j}\n`, stderr: "" };
        },
    };
}

for (const [n, runs] of [
    [3, 2000],
    [6, 1000],
    [16, 300],
] as const) {
    test(`N = ${n}: a healthy mesh with random answers fails by chance less often than the bound; a silent peer always fails`, async () => {
        const next = random(n * 7919);
        let falseFails = 0;
        let calls = 0;
        for (let run = 0; run < runs; run++) {
            const result = await verify(randomMesh(n, next), { contexts: Array.from({ length: n }, (_, k) => `c${k + 1}`) });
            if (!result.ok) falseFails++;
            calls += result.clusters.reduce((sum, c) => sum + c.calls.made, 0);
        }
        // The union bound makes the true rate far lower than 0.1%; allow the bound itself over these runs.
        assert.ok(falseFails <= Math.max(1, Math.ceil(runs * 0.001)), `${falseFails} false FAILs in ${runs} runs`);
        const cap = callCap(
            callNeeds(new Map(Array.from({ length: n }, (_, k) => [`c${k + 1}`, [{ version: k + 1 === n ? "v2" : "v1" }]]))),
            n,
        );
        assert.ok(calls / (runs * n) < cap / 2, `stops early on average (${(calls / (runs * n)).toFixed(1)} calls of at most ${cap})`);

        for (const silent of [1, n]) {
            const result = await verify(randomMesh(n, next, silent), { contexts: Array.from({ length: n }, (_, k) => `c${k + 1}`) });
            assert.equal(result.ok, false, `peer c${silent} never answers`);
            const other = result.clusters.find((c) => c.context !== `c${silent}`)!;
            assert.equal(other.calls.made, cap, "called up to the cap before deciding");
        }
    });
}

test("gateways that are hostnames: matched by what they resolve to, or by elimination when they do not resolve here", async () => {
    const mesh = healthyMesh();
    mesh["istio-2"].gateway = "ew.istio-2.example.com";
    mesh["istio-3"].gateway = "ew.istio-3.example.com";
    const resolved = await verify(fakeMesh(mesh, { "ew.istio-2.example.com": ["172.18.136.1"] }), { contexts });
    assert.equal(resolved.ok, true, formatVerdict(resolved));
    const text = formatVerdict(resolved);
    assert.match(text, /istio-2's gateway ew\.istio-2\.example\.com resolves to 172\.18\.136\.1 \(istiod gives sidecars the IPs\)/);
    assert.match(
        text,
        /istio-3's gateway ew\.istio-3\.example\.com does not resolve here: any 15443 endpoint that no other peer claims counts as it/,
    );

    // Resolving to an address the sidecar does not know is broken discovery.
    const wrong = await verify(fakeMesh(mesh, { "ew.istio-2.example.com": ["203.0.113.9"], "ew.istio-3.example.com": ["172.18.144.1"] }), {
        contexts,
    });
    assert.deepEqual(wrong.clusters[0].missingGateways, [{ context: "istio-2", address: "ew.istio-2.example.com" }]);
    // By elimination, one unclaimed endpoint cannot stand for two unresolved peers.
    mesh["istio-1"].endpoints = mesh["istio-1"].endpoints.filter((e) => !e.startsWith("172.18.144.1"));
    const short = await verify(fakeMesh(mesh), { contexts, calls: 3 });
    assert.equal(short.clusters[0].missingGateways.length, 1);
});
