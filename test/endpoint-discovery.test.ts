// Endpoint discovery: one command keeps every ordered pair's reader token and remote secret
// (scripts/discovery.cjs); the program declares it once for the mesh, with nothing secret in it.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { discoveryRepairs } from "../components/endpoint-discovery";
import { keepsLegacyPairs } from "../components/legacy/remote-access-pairs";
import { isTransient, readerTokenSecret, remoteKubeconfig, remoteSecret } from "../scripts/discovery.cjs";
import { Graph, Recorded, configFrom, recordMesh } from "./harness";
import { tempDir } from "./temp";

const discovery = (g: Graph) => g.ofType("command:local:Command").filter((c) => c.inputs.create === "node scripts/discovery.cjs apply");
const members = (command: Recorded) => JSON.parse(command.inputs.environment.CLUSTERS);
const pairSecrets = (g: Graph) =>
    g
        .ofType("kubernetes:core/v1:Secret")
        .filter((s) => s.inputs.type === "kubernetes.io/service-account-token" || s.inputs.metadata?.labels?.["istio/multiCluster"]);

for (const count of [1, 2, 3, 4]) {
    test(`N = ${count}: ${count > 1 ? "one discovery command for the whole mesh" : "no discovery command"}, and no token or remote secret as a resource`, async () => {
        const { graph } = await recordMesh({ clusterCount: String(count), sampleApps: "false" });
        assert.equal(pairSecrets(graph).length, 0);
        assert.equal(graph.ofType("istio-multicluster:index:RemoteAccess").length, 0);
        const commands = discovery(graph);
        assert.equal(commands.length, count > 1 ? 1 : 0);
        if (count === 1) return;
        const [command] = commands;
        assert.equal(command.inputs.delete, "node scripts/discovery.cjs delete");
        assert.equal(command.parent, graph.named("endpoint-discovery").urn);
        assert.deepEqual(
            members(command).map((m: any) => m.clusterName),
            Array.from({ length: count }, (_, k) => `cluster${k + 1}`),
        );
    });
}

test("kind: every cluster by its kind name and its address on the kind network; nothing secret in the command's inputs", async () => {
    const { graph } = await recordMesh({ clusterCount: "3", sampleApps: "false" });
    const [command] = discovery(graph);
    assert.deepEqual(command.secretInputs, [], "no input is secret");
    assert.deepEqual(Object.keys(command.inputs.environment).sort(), ["CLUSTERS", "TIMEOUT_SECONDS"]);
    assert.equal(command.inputs.environment.TIMEOUT_SECONDS, "600");
    for (const [k, member] of members(command).entries()) {
        const i = k + 1;
        assert.deepEqual(
            { ...member, provider: undefined },
            {
                clusterName: `cluster${i}`,
                server: `https://172.18.0.${i + 1}:6443`,
                target: { KIND_CLUSTER_NAME: `istio-${i}` },
                provider: undefined,
            },
        );
        assert.ok(member.provider, "the cluster's provider id: a new cluster behind the name gets new tokens");
    }
    assert.doesNotMatch(command.inputs.environment.CLUSTERS, /admin credentials|BEGIN|token/i);
});

test("the command waits for every cluster's namespace, istio-base and istiod (the reader's RBAC), nothing later", async () => {
    const { graph } = await recordMesh({ clusterCount: "3" });
    const [command] = discovery(graph);
    for (const i of [1, 2, 3]) {
        for (const first of ["namespace", "istio-base", "istiod-1-31-1"]) {
            assert.ok(graph.waitsFor(command, graph.named(`cluster${i}-istio-${first}`)), `cluster${i}'s ${first} first`);
        }
        for (const later of ["eastwestgateway", "cross-network-gateway"]) {
            assert.ok(!graph.waitsFor(command, graph.named(`cluster${i}-istio-${later}`)), `not cluster${i}'s ${later}`);
        }
        assert.ok(!graph.waitsFor(graph.named(`cluster${i}-samples-sleep`), command), "the samples do not wait for discovery");
    }
});

test("existing clusters: each by its context (and kubeconfig file); behind another CA, its CA bundle and TLS server name", async () => {
    const dir = tempDir("ca");
    const ca = path.join(dir, "lb-ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n");
    const kubeconfig = path.join(dir, "west.yaml");
    const clusters = [
        {
            context: "east",
            apiServer: "https://api.east.example.com",
            apiServerCaFile: ca,
            apiServerTlsServerName: "kubernetes.default.svc",
        },
        { context: "west", kubeconfig, apiServer: "https://10.0.0.2:6443" },
    ];
    const { graph } = await recordMesh({ provisioner: "existing", clusters, sampleApps: "false" });
    const [east, west] = members(discovery(graph)[0]);
    assert.deepEqual(east.target, { KUBE_CONTEXT: "east" });
    assert.equal(east.server, "https://api.east.example.com");
    assert.equal(Buffer.from(east.caData, "base64").toString(), readFileSync(ca, "utf8"));
    assert.equal(east.tlsServerName, "kubernetes.default.svc");
    assert.deepEqual(west.target, { KUBE_CONTEXT: "west", KUBECONFIG: kubeconfig });
    assert.equal(west.caData, undefined, "the token's own CA, as istioctl does");
    assert.equal(west.tlsServerName, undefined);
    assert.throws(
        () => configFrom({ provisioner: "existing", clusters: [{ ...clusters[0], apiServerCaFile: path.join(dir, "missing.pem") }] }),
        /clusters\[0\]\.apiServerCaFile = ".*missing\.pem": cannot be read \(ENOENT\): must be the path of a PEM file\.$/,
    );
    writeFileSync(path.join(dir, "empty.pem"), "not a certificate");
    assert.throws(
        () => configFrom({ provisioner: "existing", clusters: [{ ...clusters[0], apiServerCaFile: path.join(dir, "empty.pem") }] }),
        /holds no PEM certificate/,
    );
    assert.throws(
        () => configFrom({ provisioner: "existing", clusters: [{ ...clusters[0], apiServerTlsServerName: "not a name" }] }),
        /clusters\[0\]\.apiServerTlsServerName = "not a name": must be the DNS name in the API server's certificate\./,
    );
});

test("growing from 3 to 4 clusters: the command gains cluster4 and nothing else changes in it", async () => {
    const three = members(discovery((await recordMesh({ clusterCount: "3", sampleApps: "false" })).graph)[0]);
    const four = members(discovery((await recordMesh({ clusterCount: "4", sampleApps: "false" })).graph)[0]);
    assert.deepEqual(four.slice(0, 3), three);
    assert.equal(four[3].clusterName, "cluster4");
});

test("resources grow linearly: the same count per cluster from 2 to 16 clusters, under 40 per cluster", async () => {
    const counts = new Map<number, number>();
    for (const n of [1, 2, 3, 8, 16]) counts.set(n, (await recordMesh({ clusterCount: String(n) })).graph.resources.length);
    const perCluster = counts.get(3)! - counts.get(2)!;
    assert.ok(perCluster <= 35, `${perCluster} resources per cluster`);
    for (const [n, count] of counts) {
        if (n > 1) assert.equal(count, counts.get(2)! + (n - 2) * perCluster, `${n} clusters: ${count} resources, not linear`);
        if (n > 1) assert.ok(count <= 40 * n, `${n} clusters: ${count} resources, more than 40 per cluster`);
    }
});

test("the objects: a reader token per consumer, a remote secret whose one key is the remote's name and whose kubeconfig carries that token", () => {
    assert.deepEqual(readerTokenSecret("cluster2"), {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name: "istio-reader-token-cluster2",
            namespace: "istio-system",
            labels: { "app.kubernetes.io/managed-by": "istio-multicluster", "istio-multicluster/reader-token-for": "cluster2" },
            annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" },
        },
        type: "kubernetes.io/service-account-token",
    });
    const token = { token: Buffer.from("jwt-of-cluster3").toString("base64"), "ca.crt": Buffer.from("ca-of-cluster3").toString("base64") };
    const remote = { clusterName: "cluster3", server: "https://172.18.0.4:6443", target: { KIND_CLUSTER_NAME: "istio-3" } };
    const secret = remoteSecret(remote, token);
    assert.deepEqual(secret.metadata, {
        name: "istio-remote-secret-cluster3",
        namespace: "istio-system",
        labels: { "istio/multiCluster": "true", "app.kubernetes.io/managed-by": "istio-multicluster" },
        annotations: { "networking.istio.io/cluster": "cluster3" },
    });
    assert.deepEqual(Object.keys(secret.data), ["cluster3"]);
    const text = Buffer.from(secret.data.cluster3, "base64").toString();
    // Byte for byte what earlier releases wrote, so istiod sees no change when the objects move.
    assert.equal(text, remoteKubeconfig("cluster3", "https://172.18.0.4:6443", token["ca.crt"], "jwt-of-cluster3"));
    const kubeconfig = parse(text);
    assert.equal(kubeconfig["current-context"], "cluster3");
    assert.deepEqual(kubeconfig.clusters, [
        { name: "cluster3", cluster: { server: remote.server, "certificate-authority-data": token["ca.crt"] } },
    ]);
    assert.deepEqual(kubeconfig.users, [{ name: "cluster3", user: { token: "jwt-of-cluster3" } }]);
    const behindLb = parse(
        Buffer.from(
            remoteSecret({ ...remote, caData: "bGItY2E=", tlsServerName: "kubernetes.default.svc" }, token).data.cluster3,
            "base64",
        ).toString(),
    );
    assert.deepEqual(behindLb.clusters[0].cluster, {
        server: remote.server,
        "certificate-authority-data": "bGItY2E=",
        "tls-server-name": "kubernetes.default.svc",
    });
});

test("a stack whose last update was made by an earlier release (outputs without discoveryLayout) declares its pairs once more; no other does", () => {
    assert.equal(keepsLegacyPairs({}, "endpoint"), false, "a new stack");
    assert.equal(keepsLegacyPairs({ istioVersion: "1.31.1", discovery: "endpoint" }, "endpoint"), true);
    assert.equal(keepsLegacyPairs({ istioVersion: "1.31.1" }, "endpoint"), true, "endpoint discovery was the only kind once");
    assert.equal(keepsLegacyPairs({ istioVersion: "1.31.1", discovery: "federated" }, "endpoint"), false, "no pairs to keep");
    assert.equal(keepsLegacyPairs({ istioVersion: "1.31.1" }, "federated"), false, "switching to federated deletes the pairs");
    assert.equal(keepsLegacyPairs({ istioVersion: "1.31.1", discoveryLayout: "per-cluster" }, "endpoint"), false, "moved already");
});

test("repairs: looked for only on a stack this release updated, in endpoint discovery, with the preflight on; the count is kept otherwise", async () => {
    const last = {
        discoveryLayout: "per-cluster",
        discoveryRepairs: 2,
        clusters: [{ clusterName: "cluster1" }, { clusterName: "cluster2" }],
    };
    for (const [config, previous] of [
        [configFrom({ clusterCount: "2", preflight: false }), last],
        [configFrom({ clusterCount: "2", discovery: "federated" }), last],
        [configFrom({ clusterCount: "1" }), last],
        [configFrom({ clusterCount: "2" }), { ...last, discoveryLayout: undefined }],
    ] as const) {
        const seen = { ...previous } as Record<string, unknown>;
        if (seen.discoveryLayout === undefined) delete seen.discoveryLayout;
        assert.deepEqual(await discoveryRepairs(config, seen), { count: 2, missing: [] });
    }
});

test("a change is tried again after an API server that is busy or away for a moment, never after a refusal", () => {
    for (const why of [
        "The connection to the server 10.0.0.2:6443 was refused - did you specify the right host or port? dial tcp 10.0.0.2:6443: connect: connection refused",
        "Unable to connect to the server: net/http: TLS handshake timeout",
        "error: http2: client connection lost",
        "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later",
        "Error from server: etcdserver: leader changed",
        "Error from server (Timeout): the server was unable to return a response in the time allotted, but may still be processing the request",
        "kubectl did not answer within 60 s",
    ]) {
        assert.ok(isTransient(why), why);
    }
    for (const why of [
        'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:x:y" cannot create resource "secrets"',
        'Error from server (NotFound): namespaces "istio-system" not found',
        "error: You must be logged in to the server (Unauthorized)",
        "",
    ]) {
        assert.ok(!isTransient(why), why);
    }
});
