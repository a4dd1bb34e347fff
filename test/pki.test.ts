// The mesh PKI on real certificates: @pulumi/tls emulated with openssl from the exact inputs
// the program passes, then checked the way Istio relies on them.
import { missingTools } from "./real-tools";
import { tempDir } from "./temp";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { Graph, recordMesh } from "./harness";

const dir = tempDir("pki");
let n = 0;
const file = (content: string) => {
    const name = path.join(dir, `f${n++}.pem`);
    writeFileSync(name, content);
    return name;
};
// Real certificates need the real openssl; without it these tests say so in one line.
const NO_OPENSSL = missingTools(["openssl"]);
const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });

function cacerts(graph: Graph, cluster: number): Record<string, string> {
    return graph.named(`cluster${cluster}-istio-cacerts`).inputs.stringData;
}

/** A workload certificate as istiod would issue it from a cluster's intermediate. */
function workloadCert(files: Record<string, string>, name: string): string {
    const key = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
    const csr = openssl("req", "-new", "-key", file(key), "-subj", `/O=${name}`);
    const ext = file(
        `subjectAltName=URI:spiffe://cluster.local/ns/sample/sa/${name}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    return openssl(
        "x509",
        "-req",
        "-in",
        file(csr),
        "-CA",
        file(files["ca-cert.pem"]),
        "-CAkey",
        file(files["ca-key.pem"]),
        "-set_serial",
        "7",
        "-days",
        "1",
        "-extfile",
        ext,
    );
}

for (const algorithm of ["ECDSA", "RSA"]) {
    test(
        `${algorithm}: one root, one intermediate per cluster, cacerts as Istio expects`,
        { timeout: 120_000, skip: NO_OPENSSL },
        async () => {
            const clusterCount = algorithm === "RSA" ? 2 : 3;
            const { graph } = await recordMesh(
                { clusterCount: String(clusterCount), caKeyAlgorithm: algorithm, sampleApps: "false" },
                { realCerts: true },
            );

            assert.equal(graph.ofType("tls:index/selfSignedCert:SelfSignedCert").length, 1, "one root");
            assert.equal(graph.ofType("tls:index/locallySignedCert:LocallySignedCert").length, clusterCount);
            for (const key of graph.ofType("tls:index/privateKey:PrivateKey")) {
                assert.equal(key.inputs.algorithm, algorithm);
                if (algorithm === "RSA") assert.equal(key.inputs.rsaBits, 4096);
                else assert.equal(key.inputs.ecdsaCurve, "P256");
            }
            const root = graph.named("mesh-pki-root-cert");
            assert.deepEqual(root.inputs.allowedUses, ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]);
            assert.equal(root.inputs.validityPeriodHours, 87600);
            const rootPem = root.outputs.certPem;
            const rootKeyPem = graph.named("mesh-pki-root-key").outputs.privateKeyPem;

            for (let i = 1; i <= clusterCount; i++) {
                const secret = graph.named(`cluster${i}-istio-cacerts`);
                assert.equal(secret.inputs.metadata.name, "cacerts");
                assert.equal(secret.inputs.metadata.namespace, "istio-system");
                assert.ok(secret.secretInputs.includes("stringData"), "cacerts data is a secret");
                const files = cacerts(graph, i);
                assert.deepEqual(Object.keys(files).sort(), ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
                assert.equal(files["root-cert.pem"], rootPem);
                assert.equal(files["cert-chain.pem"], files["ca-cert.pem"] + files["root-cert.pem"], "chain: intermediate, then root");
                for (const content of Object.values(files))
                    assert.ok(!content.includes(rootKeyPem.trim()), "the root key never goes into a cluster");

                const ca = file(files["ca-cert.pem"]);
                assert.match(openssl("verify", "-CAfile", file(rootPem), ca), /: OK/);
                const text = openssl("x509", "-in", ca, "-noout", "-text");
                assert.match(text, /Subject: L ?= ?cluster\d, O ?= ?Istio, CN ?= ?Intermediate CA/);
                assert.ok(text.includes(`L = cluster${i}`) || text.includes(`L=cluster${i}`));
                assert.match(
                    text,
                    /X509v3 Basic Constraints: critical\n\s*CA:TRUE\n/,
                    "a CA; no pathlen: the provider drops maxPathLength 0 (see README)",
                );
                assert.match(text, /X509v3 Key Usage: critical\n\s*Digital Signature, Key Encipherment, Certificate Sign, CRL Sign/);
                assert.match(text, /DNS:istiod\.istio-system\.svc/);
                // ca-key.pem matches ca-cert.pem
                const certPub = openssl("x509", "-in", ca, "-noout", "-pubkey");
                const keyPub = openssl("pkey", "-in", file(files["ca-key.pem"]), "-pubout");
                assert.equal(certPub, keyPub);
            }

            // Cross-cluster trust: a workload of cluster 1 is trusted by cluster 2's root-cert.pem.
            const leaf = workloadCert(cacerts(graph, 1), "helloworld");
            const chain = file(cacerts(graph, 1)["ca-cert.pem"]);
            assert.match(openssl("verify", "-CAfile", file(cacerts(graph, 2)["root-cert.pem"]), "-untrusted", chain, file(leaf)), /: OK/);
            // ...and a certificate from another root is not.
            const otherKey = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
            const otherRoot = openssl("req", "-x509", "-new", "-key", file(otherKey), "-subj", "/CN=Other", "-days", "1");
            assert.throws(() => openssl("verify", "-CAfile", file(otherRoot), "-untrusted", chain, file(leaf)));
        },
    );
}

test("cacerts exists before istiod; istiod restarts when the CA changes", async () => {
    const { graph } = await recordMesh({ clusterCount: "2" });
    for (const i of [1, 2]) {
        const istiod = graph.named(`cluster${i}-istio-istiod-1-31-1`);
        const secret = graph.named(`cluster${i}-istio-cacerts`);
        assert.ok(graph.waitsFor(istiod, secret), "istiod waits for cacerts");
        const fingerprint = istiod.inputs.values.podAnnotations["istio-multicluster/ca-fingerprint"];
        assert.match(fingerprint, /^[0-9a-f]{16}$/);
        const cert = graph.named(`mesh-pki-cluster${i}-cert`);
        const expected = require("crypto").createHash("sha256").update(cert.outputs.certPem).digest("hex").slice(0, 16);
        assert.equal(fingerprint, expected, "the annotation follows the intermediate certificate");
        assert.equal(cert.inputs.earlyRenewalHours, 720);
        assert.equal(cert.inputs.validityPeriodHours, 8760);
    }
});

test("adding a cluster adds one intermediate and leaves the root and the others as they were", async () => {
    const before = (await recordMesh({ clusterCount: "2" })).graph;
    const after = (await recordMesh({ clusterCount: "3" })).graph;
    const pki = (g: Graph) => new Map(g.resources.filter((r) => r.type.startsWith("tls:")).map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const a = pki(before);
    const b = pki(after);
    for (const [urn, inputs] of a) assert.equal(b.get(urn), inputs, `${urn} unchanged`);
    assert.deepEqual(
        [...b.keys()]
            .filter((u) => !a.has(u))
            .map((u) => u.split("::").pop())
            .sort(),
        ["mesh-pki-cluster3-cert", "mesh-pki-cluster3-csr", "mesh-pki-cluster3-key"],
    );
});
