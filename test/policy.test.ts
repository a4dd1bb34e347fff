// The policy pack's rules pass on the program's real resources and fail on violating ones.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { PolicyResource, cacertsLayout, credentialsStaySecret, istiodIdentity, remoteSecretLayout, rootKeyStaysOut } from "../policy/rules";
import { buildMesh } from "../components/mesh";
import { Graph, configFrom, record, recordMesh } from "./harness";

function asPolicy(graph: Graph): PolicyResource[] {
    return graph.resources.map((r) => ({
        type: r.type,
        name: r.name,
        props: r.inputs,
        additionalSecretOutputs: r.additionalSecretOutputs,
    }));
}

const perResource = (resources: PolicyResource[], rule: (r: PolicyResource) => string[]) => resources.flatMap(rule);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

for (const discovery of ["endpoint", "federated"]) {
    test(`[${discovery}] every rule passes on the program's own resources`, async () => {
        const resources = asPolicy((await recordMesh({ clusterCount: "3", discovery })).graph);
        assert.ok(
            resources.some((r) => r.props?.metadata?.name === "cacerts"),
            "the rules see the cacerts",
        );
        assert.deepEqual(perResource(resources, cacertsLayout), []);
        assert.deepEqual(perResource(resources, remoteSecretLayout), []);
        assert.deepEqual(perResource(resources, credentialsStaySecret), []);
        assert.deepEqual(rootKeyStaysOut(resources), []);
        assert.deepEqual(istiodIdentity(resources), []);
    });
}

test("cacerts-layout fails on a wrong namespace, a missing key, a wrong chain", async () => {
    const resources = asPolicy((await recordMesh({ clusterCount: "1" })).graph);
    const cacerts = resources.find((r) => r.props?.metadata?.name === "cacerts")!;
    const wrongNs = clone(cacerts);
    wrongNs.props.metadata.namespace = "default";
    assert.match(cacertsLayout(wrongNs).join(), /must be in namespace istio-system/);
    const missing = clone(cacerts);
    delete missing.props.stringData["cert-chain.pem"];
    assert.match(cacertsLayout(missing).join(), /must hold exactly ca-cert\.pem, ca-key\.pem, cert-chain\.pem, root-cert\.pem/);
    const chain = clone(cacerts);
    chain.props.stringData["cert-chain.pem"] = chain.props.stringData["root-cert.pem"] + chain.props.stringData["ca-cert.pem"];
    assert.match(cacertsLayout(chain).join(), /ca-cert\.pem followed by root-cert\.pem/);
});

test("remote-secret-layout: endpoint discovery lists each cluster once, at an https address that is not loopback, with no credential", async () => {
    const resources = asPolicy((await recordMesh({ clusterCount: "3" })).graph);
    const command = resources.find((r) => r.props?.create === "node scripts/discovery.cjs apply")!;
    assert.deepEqual(remoteSecretLayout(command), []);
    const withMembers = (edit: (members: any[]) => void) => {
        const changed = clone(command);
        const members = JSON.parse(changed.props.environment.CLUSTERS);
        edit(members);
        changed.props.environment.CLUSTERS = JSON.stringify(members);
        return remoteSecretLayout(changed).join("\n");
    };
    assert.match(
        withMembers((m) => (m[1].server = "https://127.0.0.1:6443")),
        /cluster2: server https:\/\/127\.0\.0\.1:6443 is loopback/,
    );
    assert.match(
        withMembers((m) => (m[1].server = "http://172.18.0.3:6443")),
        /cluster2: server http:\/\/172\.18\.0\.3:6443 must be an https URL/,
    );
    assert.match(
        withMembers((m) => m.push(m[0])),
        /cluster cluster1 is listed twice/,
    );
    assert.match(
        withMembers((m) => (m[2].target = { KUBECONFIG_DATA: "users:\n- user:\n    token: abc" })),
        /CLUSTERS holds a credential/,
    );
    assert.match(
        withMembers((m) => (m[0].clusterName = "")),
        /annotation networking\.istio\.io\/cluster is missing/,
    );
});

test("remote-secret-layout fails without the label, the annotation, or with the wrong key (the per-pair Secrets of earlier releases)", async () => {
    // A stack last updated by an earlier release declares its pairs once more (components/legacy/).
    const { graph } = await record(() => buildMesh(configFrom({ clusterCount: "2", preflight: false }), undefined, { legacyPairs: true }));
    const resources = asPolicy(graph);
    const secret = resources.find((r) => r.props?.metadata?.name === "istio-remote-secret-cluster2")!;
    assert.deepEqual(remoteSecretLayout(secret), []);
    const noLabel = clone(secret);
    noLabel.props.metadata.labels = {};
    assert.match(remoteSecretLayout(noLabel).join(), /label istio\/multiCluster must be "true"/);
    const noAnnotation = clone(secret);
    noAnnotation.props.metadata.annotations = {};
    assert.match(remoteSecretLayout(noAnnotation).join(), /annotation networking\.istio\.io\/cluster is missing/);
    const wrongKey = clone(secret);
    wrongKey.props.stringData = { kubeconfig: "x" };
    assert.match(remoteSecretLayout(wrongKey).join(), /one key named after the cluster \(cluster2\)/);
    const wrongNs = clone(secret);
    wrongNs.props.metadata.namespace = "default";
    assert.match(remoteSecretLayout(wrongNs).join(), /must be in namespace istio-system/);
});

test("credentials-stay-secret fails on plain Secret data, a logged kubeconfig, a key in a ConfigMap", async () => {
    const resources = asPolicy((await recordMesh({ clusterCount: "1" })).graph);
    const secret = clone(resources.find((r) => r.props?.metadata?.name === "cacerts")!);
    secret.additionalSecretOutputs = [];
    assert.match(credentialsStaySecret(secret).join(), /data and stringData must be Pulumi secrets/);
    const kubeconfig = clone(resources.find((r) => String(r.props?.create).endsWith("kind-cluster.ts kubeconfig"))!);
    kubeconfig.additionalSecretOutputs = [];
    kubeconfig.props.logging = "stdoutAndStderr";
    assert.equal(credentialsStaySecret(kubeconfig).length, 2);
    const configMap: PolicyResource = {
        type: "kubernetes:core/v1:ConfigMap",
        name: "leak",
        props: { data: { key: "-----BEGIN RSA PRIVATE KEY-----\nabc" } },
        additionalSecretOutputs: [],
    };
    assert.match(credentialsStaySecret(configMap).join(), /private key outside a Secret/);
});

test("root-ca-key-stays-out fails when the root key lands in a cluster object", async () => {
    const resources = asPolicy((await recordMesh({ clusterCount: "2" })).graph);
    const rootKey = resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")!.props.caPrivateKeyPem;
    const leaked = clone(resources);
    const cacerts = leaked.find((r) => r.props?.metadata?.name === "cacerts")!;
    cacerts.props.stringData["ca-key.pem"] = rootKey;
    assert.equal(rootKeyStaysOut(leaked).length, 1);
    assert.match(rootKeyStaysOut(leaked)[0], /cluster\d-istio-cacerts: contains the root CA's private key/);
});

test("istiod-mesh-identity fails on a shared network, a shared cluster name, or two mesh IDs", async () => {
    const resources = asPolicy((await recordMesh({ clusterCount: "3" })).graph);
    const istiods = () => resources.filter((r) => r.props?.chart === "istiod");
    const sameNetwork = clone(resources);
    sameNetwork.filter((r) => r.props?.chart === "istiod").forEach((r) => (r.props.values.global.network = "network1"));
    assert.equal(istiodIdentity(sameNetwork).filter((p) => /share network network1/.test(p)).length, 2);
    const sameName = clone(resources);
    sameName.filter((r) => r.props?.chart === "istiod")[1].props.values.global.multiCluster.clusterName = "cluster1";
    assert.match(istiodIdentity(sameName).join(), /share clusterName cluster1/);
    const twoMeshes = clone(resources);
    twoMeshes.filter((r) => r.props?.chart === "istiod")[0].props.values.global.meshID = "other";
    assert.match(istiodIdentity(twoMeshes).join(), /disagree on global\.meshID/);
    assert.equal(istiods().length, 3);
});

test("npm run check-policy: the mandatory rules on the declared resources, every value known", () => {
    const run = (args: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", "scripts/check-policy.ts", ...args], {
            cwd: path.join(__dirname, ".."),
            encoding: "utf8",
            env: { ...process.env, NODE_OPTIONS: "" },
        });
    for (const discovery of ["endpoint", "federated"]) {
        const result = run(["--config", `discovery=${discovery}`]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /^ok {6}cacerts-layout$/m);
        assert.match(result.stdout, /^all 5 mandatory rules pass on \d+ resources$/m);
    }
    assert.equal(run(["--bogus"]).status, 2);
});

test("the policy pack installs on its own: TypeScript is its own dependency, not the SDK's vendored 3.8", () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "policy", "package.json"), "utf8"));
    const lock = JSON.parse(readFileSync(path.join(__dirname, "..", "policy", "package-lock.json"), "utf8"));
    assert.ok(manifest.dependencies.typescript, "typescript in dependencies");
    assert.match(lock.packages["node_modules/typescript"].version, /^5\./);
});
