// MeshPki: one root CA and an intermediate CA per cluster (Istio's plug-in CA layout).
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { createHash } from "crypto";
import { KeyAlgorithm, MeshConfig } from "./config";

/** Key usages of both CAs (@pulumi/tls spells them in snake_case). */
export const CA_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"];
export const ISTIOD_SAN = "istiod.istio-system.svc";

/** What the `cacerts` Secret of one cluster holds. */
export interface ClusterCa {
    /** The four files istiod reads: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem (secret). */
    files: pulumi.Output<Record<string, string>>;
    /** Short hash of the intermediate certificate: changes exactly when the CA changes. */
    fingerprint: pulumi.Output<string>;
}

export interface MeshPkiArgs {
    clusterNames: string[];
    pki: MeshConfig["pki"];
}

function keyArgs(algorithm: KeyAlgorithm): tls.PrivateKeyArgs {
    return algorithm === "RSA" ? { algorithm: "RSA", rsaBits: 4096 } : { algorithm: "ECDSA", ecdsaCurve: "P256" };
}

export class MeshPki extends pulumi.ComponentResource {
    public readonly rootCertPem: pulumi.Output<string>;
    public readonly clusters: Record<string, ClusterCa> = {};

    constructor(name: string, args: MeshPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:MeshPki", name, {}, opts);
        const { pki } = args;

        // The root key stays in Pulumi state (a secret) and is never written into a cluster.
        const rootKey = new tls.PrivateKey(`${name}-root-key`, keyArgs(pki.keyAlgorithm), { parent: this });
        const rootCert = new tls.SelfSignedCert(
            `${name}-root-cert`,
            {
                privateKeyPem: rootKey.privateKeyPem,
                subject: { organization: "Istio", commonName: "Root CA" },
                isCaCertificate: true,
                allowedUses: CA_USES,
                validityPeriodHours: pki.rootValidityHours,
            },
            { parent: this },
        );
        this.rootCertPem = rootCert.certPem;

        // One intermediate per cluster, named after the cluster: adding a cluster touches no other.
        for (const clusterName of args.clusterNames) {
            const key = new tls.PrivateKey(`${name}-${clusterName}-key`, keyArgs(pki.keyAlgorithm), { parent: this });
            const request = new tls.CertRequest(
                `${name}-${clusterName}-csr`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: { organization: "Istio", commonName: "Intermediate CA", locality: clusterName },
                    dnsNames: [ISTIOD_SAN],
                },
                { parent: this },
            );
            const cert = new tls.LocallySignedCert(
                `${name}-${clusterName}-cert`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: rootKey.privateKeyPem,
                    caCertPem: rootCert.certPem,
                    isCaCertificate: true,
                    // Asks for pathlen 0, but the provider (Go's x509 without MaxPathLenZero) then
                    // writes no path length at all: the intermediate is CA:TRUE, unconstrained. See README.
                    maxPathLength: 0,
                    allowedUses: CA_USES,
                    validityPeriodHours: pki.intermediateValidityHours,
                    // Inside this window `pulumi up` re-issues the certificate (and restarts istiod).
                    earlyRenewalHours: pki.intermediateEarlyRenewalHours,
                },
                { parent: this },
            );
            this.clusters[clusterName] = {
                files: pulumi.secret(
                    pulumi
                        .all([cert.certPem, key.privateKeyPem, rootCert.certPem])
                        .apply(([caCert, caKey, root]) => cacertsFiles(caCert, caKey, root)),
                ),
                fingerprint: cert.certPem.apply((pem) => createHash("sha256").update(pem).digest("hex").slice(0, 16)),
            };
        }
        this.registerOutputs({ rootCertPem: this.rootCertPem });
    }
}

/** The exact keys of Istio's `cacerts` Secret; cert-chain.pem is the intermediate, then the root. */
export function cacertsFiles(caCert: string, caKey: string, rootCert: string): Record<string, string> {
    const pem = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
    return {
        "ca-cert.pem": pem(caCert),
        "ca-key.pem": pem(caKey),
        "root-cert.pem": pem(rootCert),
        "cert-chain.pem": pem(caCert) + pem(rootCert),
    };
}
