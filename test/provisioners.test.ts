// The same mesh through one cluster interface: kind clusters, or existing clusters.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildMesh } from "../components/mesh";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { Graph, configFrom, recordMesh, recordOutcome, valueOf } from "./harness";
import { missingTools } from "./real-tools";
import { tempDir } from "./temp";

const EXISTING = {
    provisioner: "existing",
    clusters: [
        { context: "east", apiServer: "https://10.0.0.1:6443", loadBalancer: "metallb", metallbRange: "10.0.10.0/28" },
        { context: "west", apiServer: "https://api.west.example.com:443", kubeconfig: "/home/me/.kube/west.yaml" },
        { context: "north", apiServer: "https://10.0.0.3:6443", loadBalancer: "platform" },
    ],
};

const PROVISIONERS = [
    { name: "kind", values: { clusterCount: "3" }, apiServer: (j: number) => `https://172.18.0.${j + 1}:6443` },
    {
        name: "existing",
        values: EXISTING,
        apiServer: (j: number) => ["https://10.0.0.1:6443", "https://api.west.example.com", "https://10.0.0.3:6443"][j - 1],
    },
];

for (const p of PROVISIONERS) {
    test(`[${p.name}] Istio: same values and order in every cluster`, async () => {
        const { graph } = await recordMesh(p.values);
        for (const i of [1, 2, 3]) {
            const istiod = graph.named(`cluster${i}-istio-istiod-1-31-1`);
            assert.equal(istiod.inputs.values.global.multiCluster.clusterName, `cluster${i}`);
            assert.equal(istiod.inputs.values.global.network, `network${i}`);
            assert.equal(istiod.inputs.values.global.meshID, "mesh1");
            assert.ok(graph.waitsFor(istiod, graph.named(`cluster${i}-istio-cacerts`)), "cacerts before istiod");
            assert.ok(graph.waitsFor(graph.named(`cluster${i}-istio-eastwestgateway`), istiod));
            assert.ok(
                graph.waitsFor(graph.named(`cluster${i}-istio-cross-network-gateway`), graph.named(`cluster${i}-istio-eastwestgateway`)),
            );
        }
    });

    test(`[${p.name}] PKI: one root, an intermediate and a cacerts per cluster`, async () => {
        const { graph } = await recordMesh(p.values);
        assert.equal(graph.ofType("tls:index/selfSignedCert:SelfSignedCert").length, 1);
        assert.equal(graph.ofType("tls:index/locallySignedCert:LocallySignedCert").length, 3);
        for (const i of [1, 2, 3]) {
            const cacerts = graph.named(`cluster${i}-istio-cacerts`);
            assert.deepEqual(Object.keys(cacerts.inputs.stringData).sort(), [
                "ca-cert.pem",
                "ca-key.pem",
                "cert-chain.pem",
                "root-cert.pem",
            ]);
        }
    });

    test(`[${p.name}] endpoint discovery: every cluster at the API server its peers reach`, async () => {
        const { graph } = await recordMesh(p.values);
        const [command] = graph.ofType("command:local:Command").filter((c) => c.inputs.create === "node scripts/discovery.cjs apply");
        const members = JSON.parse(command.inputs.environment.CLUSTERS);
        assert.deepEqual(
            members.map((m: any) => [m.clusterName, m.server]),
            [1, 2, 3].map((i) => [`cluster${i}`, p.apiServer(i)]),
        );
    });
}

test("[existing] no kind or docker Command is declared, nothing is deletedWith a cluster", async () => {
    const { graph } = await recordMesh(EXISTING);
    assert.equal(graph.ofType("command:local:Command").filter((c) => /kind|images\.sh/.test(c.inputs.create)).length, 0);
    assert.equal(graph.ofType("istio-multicluster:index:KindCluster").length, 0);
    assert.equal(graph.ofType("istio-multicluster:index:ImagePreload").length, 0);
    for (const r of graph.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
        assert.equal(r.deletedWith, "", `${r.name} is deleted one by one: the cluster stays`);
    }
});

test("[existing] providers use the given contexts and kubeconfig files", async () => {
    const { graph } = await recordMesh(EXISTING);
    const providers = graph
        .ofType("pulumi:providers:kubernetes")
        .map((p) => [p.name, p.inputs.context, p.inputs.kubeconfig])
        .sort();
    // Without a kubeconfig of its own a provider gets what the SDK takes from KUBECONFIG (the harness's).
    const fromEnv = process.env.KUBECONFIG;
    assert.deepEqual(providers, [
        ["cluster1-provider", "east", fromEnv],
        ["cluster2-provider", "west", "/home/me/.kube/west.yaml"],
        ["cluster3-provider", "north", fromEnv],
    ]);
});

test("[existing] load balancers: MetalLB with the given range, or the platform's (address read back)", async () => {
    const { graph, result } = await recordMesh(EXISTING);
    const pool = graph.named("cluster1-metallb-pool");
    assert.deepEqual(pool.inputs.spec.addresses, ["10.0.10.0/28"]);
    assert.equal(
        graph.named("cluster1-metallb-metallb").inputs.values.speaker.ignoreExcludeLB,
        undefined,
        "real clusters keep the default",
    );
    assert.deepEqual(graph.named("cluster1-istio-eastwestgateway").inputs.values.service, {
        annotations: { "metallb.io/loadBalancerIPs": "10.0.10.1" },
    });
    assert.equal(graph.resources.filter((r) => r.name.startsWith("cluster2-metallb")).length, 0, "platform: no MetalLB");
    assert.equal(graph.named("cluster2-istio-eastwestgateway").inputs.values.service, undefined);
    // The platform's address is read by a command once the release is done: no live object in state.
    assert.equal(graph.resources.filter((r) => r.read).length, 0, "no resource read");
    const read = graph.named("cluster2-istio-eastwestgateway-address");
    assert.equal(read.inputs.create, "node scripts/wait-object.cjs gateway-address");
    assert.deepEqual(
        [read.inputs.environment.NAMESPACE, read.inputs.environment.NAME, read.inputs.environment.KUBE_CONTEXT],
        ["istio-system", "istio-eastwestgateway", "west"],
    );
    assert.ok(graph.waitsFor(read, graph.named("cluster2-istio-eastwestgateway")));
    assert.ok(read.inputDependencies.includes(graph.named("cluster2-istio-eastwestgateway").urn), "a new release is read again");
    assert.equal(await valueOf(result.controlPlanes[1].gatewayAddress), "198.51.100.2");
});

test("[existing] names default like kind and can be set per cluster", () => {
    const config = configFrom({
        provisioner: "existing",
        clusters: [
            { context: "a", apiServer: "https://10.0.0.1:6443", clusterName: "eu-1", network: "eu" },
            { context: "b", apiServer: "https://10.0.0.2:6443" },
        ],
    });
    assert.deepEqual(
        config.clusters.map((c) => [c.clusterName, c.network]),
        [
            ["eu-1", "eu"],
            ["cluster2", "network2"],
        ],
    );
});

const BAD_EXISTING: [string, unknown, RegExp][] = [
    [
        "loopback API address",
        [{ context: "a", apiServer: "https://127.0.0.1:6443" }],
        /clusters\[0\]\.apiServer = "https:\/\/127\.0\.0\.1:6443": must not be a loopback address/,
    ],
    ["localhost API address", [{ context: "a", apiServer: "https://localhost:6443" }], /must not be a loopback address/],
    [
        "http API address",
        [{ context: "a", apiServer: "http://10.0.0.1:6443" }],
        /apiServer = "http:\/\/10\.0\.0\.1:6443": must be the https:\/\/ URL/,
    ],
    [
        "duplicate cluster names",
        [
            { context: "a", apiServer: "https://10.0.0.1:6443", clusterName: "x" },
            { context: "b", apiServer: "https://10.0.0.2:6443", clusterName: "x" },
        ],
        /clusters\[1\]\.clusterName = "x": must be unique; clusters\[0\] has it too/,
    ],
    [
        "duplicate networks",
        [
            { context: "a", apiServer: "https://10.0.0.1:6443", network: "n" },
            { context: "b", apiServer: "https://10.0.0.2:6443", network: "n" },
        ],
        /clusters\[1\]\.network = "n": must be unique/,
    ],
    [
        "duplicate contexts",
        [
            { context: "a", apiServer: "https://10.0.0.1:6443" },
            { context: "a", apiServer: "https://10.0.0.2:6443" },
        ],
        /clusters\[1\]\.context = "a": must be unique/,
    ],
    [
        "MetalLB without a range",
        [{ context: "a", apiServer: "https://10.0.0.1:6443", loadBalancer: "metallb" }],
        /clusters\[0\]\.metallbRange = undefined: is required with loadBalancer "metallb"/,
    ],
    [
        "a bad range",
        [{ context: "a", apiServer: "https://10.0.0.1:6443", loadBalancer: "metallb", metallbRange: "10.0.0.9-10.0.0.1" }],
        /metallbRange = "10\.0\.0\.9-10\.0\.0\.1": must be an IPv4 range/,
    ],
    ["an unknown field", [{ context: "a", apiServer: "https://10.0.0.1:6443", api: "x" }], /clusters\[0\]\.api = "x": unknown field/],
    ["no clusters", [], /clusters = \[\]: with provisioner existing, must be a list of clusters/],
];

for (const [name, clusters, message] of BAD_EXISTING) {
    test(`[existing] bad entry: ${name}`, () => {
        assert.throws(() => configFrom({ provisioner: "existing", clusters }), message);
    });
}

test("[existing] clusterCount: the default the CLI passes and the list's own count are fine; another count is refused", () => {
    assert.equal(configFrom({ ...EXISTING, clusterCount: "3" }).clusters.length, 3);
    const two = { ...EXISTING, clusters: EXISTING.clusters.slice(0, 2) };
    assert.equal(configFrom({ ...two, clusterCount: "3" }).clusters.length, 2, "3 is Pulumi.yaml's default, always passed");
    assert.equal(configFrom({ ...two, clusterCount: "2" }).clusters.length, 2);
    assert.throws(
        () => configFrom({ ...two, clusterCount: "5" }),
        /clusterCount = "5": is for provisioner kind; with existing, the clusters are those listed in `clusters` \(2\): remove clusterCount\.$/,
    );
});

test("[existing] bad config declares nothing", async () => {
    const { graph, error } = await recordOutcome(() =>
        buildMesh(configFrom({ provisioner: "existing", clusters: [{ context: "a", apiServer: "https://127.0.0.1:1" }] })),
    );
    assert.match(String(error), /clusters\[0\]\.apiServer = "https:\/\/127\.0\.0\.1:1": must not be a loopback address/);
    assert.deepEqual(graph.resources, []);
});

test(
    "[existing] the provider's identity is the context and the server it talks to; KUBECONFIG lists work",
    { skip: missingTools(["kubectl"]) },
    async () => {
        const dir = tempDir("kubeconfigs");
        const file = (name: string, text: string) => {
            writeFileSync(path.join(dir, name), text);
            return path.join(dir, name);
        };
        const other = file(
            "other",
            "apiVersion: v1\nkind: Config\nclusters: [{name: o, cluster: {server: 'https://other:6443'}}]\nusers: [{name: o, user: {token: t}}]\ncontexts: [{name: other, context: {cluster: o, user: o}}]\n",
        );
        const east = file(
            "east",
            "apiVersion: v1\nkind: Config\nclusters: [{name: e, cluster: {server: 'https://east.internal:6443'}}]\nusers: [{name: e, user: {token: t}}]\ncontexts: [{name: east, context: {cluster: e, user: e}}]\n",
        );
        const split = file("split", "apiVersion: v1\nkind: Config\ncontexts: [{name: split, context: {cluster: o, user: o}}]\n");
        const saved = process.env.KUBECONFIG;
        process.env.KUBECONFIG = [other, east, split].join(path.delimiter);
        try {
            const clusters = (apiServer: string) => [
                { context: "east", apiServer },
                { context: "split", apiServer: "https://10.0.0.9:6443" },
            ];
            const provider = (g: Graph, i: number) => g.named(`cluster${i}-provider`).inputs;
            const first = (await recordMesh({ provisioner: "existing", clusters: clusters("https://10.0.0.1:6443") })).graph;
            assert.equal(
                provider(first, 1).clusterIdentifier,
                "east@https://east.internal:6443",
                "the server of the context, not the peer-facing URL",
            );
            assert.equal(provider(first, 1).kubeconfig, east, "the file of the list that holds the context");
            assert.equal(provider(first, 2).clusterIdentifier, "split@https://other:6443");
            assert.match(provider(first, 2).kubeconfig, /server: https:\/\/other:6443/, "split over two files: the context flattened");
            assert.ok(first.named("cluster2-provider").secretInputs.includes("kubeconfig"), "flattened credentials are a secret");
            // A new peer-facing apiServer changes the remote secrets only, not the provider.
            const second = (await recordMesh({ provisioner: "existing", clusters: clusters("https://api.east.example.com") })).graph;
            assert.deepEqual(provider(second, 1), provider(first, 1));
        } finally {
            process.env.KUBECONFIG = saved;
        }
    },
);

test("[existing] a cluster marked gone: everything in it kept as it is and left behind, not deleted; its provider needs no answer", async () => {
    const gone = { ...EXISTING, clusters: EXISTING.clusters.map((c, k) => (k === 2 ? { ...c, gone: true } : c)) };
    // Without an engine, the SDK writes warnings to the console: this test reads them there.
    const warnings: string[] = [];
    const consoleWarn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    let graph: Awaited<ReturnType<typeof recordMesh>>["graph"];
    try {
        graph = (await recordMesh(gone)).graph;
    } finally {
        console.warn = consoleWarn;
    }
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(
        warnings[0],
        /^warning: \[runtime\] cluster3 \(context north\) is marked gone: nothing in it is changed or deleted, and it leaves the stack without being deleted \(pulumi destroy, or pulumi up once its entry is removed from clusters\)\. If it comes back, these stay in it: Namespace istio-system; Secret istio-system\/cacerts; Helm release istio-system\/istio-base \(and all it installed\);.* Secret istio-system\/istio-remote-secret-cluster2\. Clean it then as README "A cluster that is gone" says\.$/,
    );
    const inGone = graph.inCluster("cluster3");
    assert.ok(inGone.length > 10, "its resources are still declared");
    for (const r of inGone) {
        assert.equal(r.retainOnDelete, true, `${r.name} is dropped from the stack, not deleted`);
        const unchecked = Object.keys(r.inputs).filter((key) => !r.ignoreChanges.includes(key));
        assert.deepEqual(unchecked, [], `${r.name}: nothing is compared again`);
    }
    const provider = graph.named("cluster3-provider");
    // (Provider inputs travel as strings.)
    assert.equal(provider.inputs.skipUpdateUnreachable, "true");
    assert.equal(provider.inputs.deleteUnreachable, "true");
    assert.deepEqual(provider.ignoreChanges, ["context", "kubeconfig", "clusterIdentifier"]);
    // The other clusters are managed as before, including what they hold for the gone one.
    for (const r of [...graph.inCluster("cluster1"), ...graph.inCluster("cluster2")]) {
        assert.equal(r.retainOnDelete, false, r.name);
        assert.deepEqual(r.ignoreChanges, [], r.name);
    }
    assert.equal(graph.named("cluster1-provider").inputs.deleteUnreachable, undefined);
    // Marking it gone changes no input but endpoint discovery's mark: the update has nothing to send to it.
    const before = await recordMesh(EXISTING);
    for (const r of graph.resources.filter((x) => x.custom && !x.name.endsWith("-provider"))) {
        const expected = structuredClone(before.graph.named(r.name).inputs);
        const actual = structuredClone(r.inputs);
        if (r.name === "endpoint-discovery-secrets") {
            expected.environment.CLUSTERS = JSON.parse(expected.environment.CLUSTERS);
            expected.environment.CLUSTERS[2].gone = true;
            actual.environment.CLUSTERS = JSON.parse(actual.environment.CLUSTERS);
        }
        assert.deepEqual(actual, expected, r.name);
    }
});
