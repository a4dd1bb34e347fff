// Endpoint discovery: a reader token in every remote and a remote secret in every consumer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { tempDir } from "./temp";
import { Graph, Recorded, configFrom, recordMesh } from "./harness";

const remoteSecrets = (g: Graph) =>
    g.ofType("kubernetes:core/v1:Secret").filter((s) => s.inputs.metadata?.labels?.["istio/multiCluster"] === "true");
const tokens = (g: Graph) => g.ofType("kubernetes:core/v1:Secret").filter((s) => s.inputs.type === "kubernetes.io/service-account-token");
const clusterOf = (r: Recorded) => /::(istio-\d+)-provider::/.exec(r.provider)![1];

for (const count of [1, 2, 3, 4]) {
    test(`N = ${count}: N*(N-1) remote secrets and reader tokens, none for a cluster to itself`, async () => {
        const { graph } = await recordMesh({ clusterCount: String(count), sampleApps: "false" });
        const secrets = remoteSecrets(graph);
        assert.equal(secrets.length, count * (count - 1));
        assert.equal(tokens(graph).length, count * (count - 1));
        const pairs = secrets.map((s) => `${clusterOf(s)} reads ${s.inputs.metadata.annotations["networking.istio.io/cluster"]}`).sort();
        const expected: string[] = [];
        for (let i = 1; i <= count; i++) for (let j = 1; j <= count; j++) if (i !== j) expected.push(`istio-${i} reads cluster${j}`);
        assert.deepEqual(pairs, expected.sort());
    });
}

test("remote secret: name, namespace, label, annotation, one key = the remote's cluster name, kubeconfig from the right cluster", async () => {
    const { graph } = await recordMesh({ clusterCount: "3", sampleApps: "false" });
    for (const secret of remoteSecrets(graph)) {
        const consumer = clusterOf(secret);
        const remote = secret.inputs.metadata.annotations["networking.istio.io/cluster"] as string;
        const j = remote.replace("cluster", "");
        assert.deepEqual(secret.inputs.metadata, {
            name: `istio-remote-secret-${remote}`,
            namespace: "istio-system",
            labels: { "istio/multiCluster": "true" },
            annotations: { "networking.istio.io/cluster": remote },
        });
        assert.deepEqual(Object.keys(secret.inputs.stringData), [remote]);
        assert.ok(secret.secretInputs.includes("stringData"), "the kubeconfig is a secret");

        const kubeconfig = parse(secret.inputs.stringData[remote]);
        assert.equal(kubeconfig["current-context"], remote);
        assert.equal(kubeconfig.clusters.length, 1);
        assert.equal(kubeconfig.users.length, 1);
        assert.equal(kubeconfig.contexts.length, 1);
        const server = kubeconfig.clusters[0].cluster.server as string;
        assert.doesNotMatch(server, /127\.0\.0\.1|localhost/);
        assert.equal(server, `https://172.18.0.${Number(j) + 1}:6443`, "the remote's address on the kind network");
        assert.equal(Buffer.from(kubeconfig.clusters[0].cluster["certificate-authority-data"], "base64").toString(), `ca-of-cluster${j}`);
        const consumerCluster = consumer.replace("istio-", "cluster");
        assert.equal(
            kubeconfig.users[0].user.token,
            `token:cluster${j}:istio-reader-token-${consumerCluster}`,
            "the token the remote issued to this consumer",
        );
    }
});

test("reader token: a service-account-token Secret for istio-reader-service-account, after istio-base, data secret", async () => {
    const { graph } = await recordMesh({ clusterCount: "2", sampleApps: "false" });
    for (const token of tokens(graph)) {
        assert.equal(token.inputs.metadata.namespace, "istio-system");
        assert.deepEqual(token.inputs.metadata.annotations, {
            "kubernetes.io/service-account.name": "istio-reader-service-account",
            // The provider would give the token controller 5 s; wait-object.cjs waits up to helmTimeoutSeconds.
            "pulumi.com/skipAwait": "true",
        });
        assert.ok(token.additionalSecretOutputs.includes("data"), "the token is secret in state");
        const cluster = clusterOf(token).replace("istio-", "");
        assert.ok(graph.waitsFor(token, graph.named(`cluster${cluster}-istio-istio-base`)), "the ServiceAccount exists first");

        // Its data is read, once filled, by a command whose output is secret and never logged.
        const reader = graph.named(token.name.replace(/-token$/, "-token-data"));
        assert.equal(reader.inputs.create, "node scripts/wait-object.cjs reader-token");
        assert.deepEqual(reader.additionalSecretOutputs, ["stdout"]);
        assert.equal(reader.inputs.logging, "stderr");
        assert.ok(reader.dependencies.includes(token.urn));
        assert.deepEqual(
            [reader.inputs.environment.NAMESPACE, reader.inputs.environment.NAME],
            ["istio-system", token.inputs.metadata.name],
        );
        assert.equal(reader.inputs.environment.CLUSTER, `cluster${cluster}`);
        assert.equal(reader.inputs.environment.TIMEOUT_SECONDS, "600");
        assert.match(
            reader.inputs.environment.KUBECONFIG_DATA,
            new RegExp(`admin credentials of istio-${cluster}$`, "m"),
            "the remote's kubeconfig",
        );
        assert.ok(reader.secretInputs.includes("environment"), "the kubeconfig in its environment is secret");
        assert.ok(reader.inputDependencies.includes(token.urn), "a token made again (new uid) is read again");
    }
});

test("each remote secret waits only for its namespace, its token and the remote's istiod (the reader RBAC): nothing waits for all clusters", async () => {
    const { graph } = await recordMesh({ clusterCount: "3", sampleApps: "false" });
    for (const secret of remoteSecrets(graph)) {
        const consumer = clusterOf(secret).replace("istio-", "");
        const remote = (secret.inputs.metadata.annotations["networking.istio.io/cluster"] as string).replace("cluster", "");
        const token = tokens(graph).find(
            (t) => clusterOf(t) === `istio-${remote}` && t.inputs.metadata.name === `istio-reader-token-cluster${consumer}`,
        )!;
        assert.ok(graph.waitsFor(secret, token));
        assert.ok(graph.waitsFor(secret, graph.named(`cluster${consumer}-istio-namespace`)));
        const third = [1, 2, 3].find((k) => String(k) !== consumer && String(k) !== remote)!;
        assert.ok(!graph.waitsFor(secret, graph.named(`istio-${third}-cluster`)), "no wait on an unrelated cluster");
        assert.ok(!graph.waitsFor(secret, graph.named(`cluster${consumer}-istio-istiod-1-31-1`)), "no wait on the consumer's istiod");
        assert.ok(
            graph.waitsFor(secret, graph.named(`cluster${remote}-istio-istiod-1-31-1`)),
            "the remote's ClusterRole binding exists first",
        );
        for (const later of ["eastwestgateway", "cross-network-gateway"]) {
            assert.ok(!graph.waitsFor(secret, graph.named(`cluster${remote}-istio-${later}`)), `nothing else of the remote: ${later}`);
        }
    }
});

test("existing clusters behind another CA: the remote kubeconfig carries the given CA bundle and TLS server name; without them, the token's CA", async () => {
    const dir = tempDir("ca");
    const ca = path.join(dir, "lb-ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n");
    const clusters = [
        {
            context: "east",
            apiServer: "https://api.east.example.com",
            apiServerCaFile: ca,
            apiServerTlsServerName: "kubernetes.default.svc",
        },
        { context: "west", apiServer: "https://10.0.0.2:6443" },
    ];
    const { graph } = await recordMesh({ provisioner: "existing", clusters, sampleApps: "false" });
    const kubeconfigOf = (remote: string) => {
        const secret = remoteSecrets(graph).find((s) => s.inputs.metadata.annotations["networking.istio.io/cluster"] === remote)!;
        return parse(secret.inputs.stringData[remote]).clusters[0].cluster;
    };
    const east = kubeconfigOf("cluster1");
    assert.equal(Buffer.from(east["certificate-authority-data"], "base64").toString(), readFileSync(ca, "utf8"));
    assert.equal(east["tls-server-name"], "kubernetes.default.svc");
    const west = kubeconfigOf("cluster2");
    assert.equal(
        Buffer.from(west["certificate-authority-data"], "base64").toString(),
        "ca-of-cluster2",
        "the token's own CA (the mock names it after the cluster)",
    );
    assert.equal(west["tls-server-name"], undefined);

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

test("growing from 3 to 4 clusters adds 2*3 secrets and changes no existing pair", async () => {
    const three = (await recordMesh({ clusterCount: "3", sampleApps: "false" })).graph;
    const four = (await recordMesh({ clusterCount: "4", sampleApps: "false" })).graph;
    const byUrn = (g: Graph) =>
        new Map(
            [...remoteSecrets(g), ...tokens(g)].map((s) => [
                s.urn,
                JSON.stringify({ inputs: s.inputs, provider: s.provider.split("::")[3] }),
            ]),
        );
    const before = byUrn(three);
    const after = byUrn(four);
    for (const [urn, value] of before) assert.equal(after.get(urn), value, `${urn} unchanged`);
    assert.equal(remoteSecrets(four).length - remoteSecrets(three).length, 2 * 3);
});
