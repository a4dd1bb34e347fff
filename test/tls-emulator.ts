// Emulates @pulumi/tls with the openssl CLI, the way the provider (Go's crypto/x509) builds
// certificates from the same inputs: keyUsage and basicConstraints critical, a subject key id
// on CA certificates, and a path length only when max_path_length > 0 (Go writes none for 0
// unless MaxPathLenZero is set, which the provider never sets).
import { tempDir } from "./temp";
import { execFileSync } from "child_process";
import { writeFileSync } from "fs";
import * as path from "path";

const dir = tempDir("tls-emulator");
let counter = 0;

function file(content: string): string {
    const name = path.join(dir, `f${counter++}`);
    writeFileSync(name, content);
    return name;
}

function openssl(args: string[], input?: string): string {
    return execFileSync("openssl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

const KEY_USAGE: Record<string, string> = {
    digital_signature: "digitalSignature",
    content_commitment: "nonRepudiation",
    key_encipherment: "keyEncipherment",
    data_encipherment: "dataEncipherment",
    key_agreement: "keyAgreement",
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
};

function subject(s: any): string {
    // Go's pkix.Name order: C, ST, L, O, OU, CN.
    const parts: [string, string | undefined][] = [
        ["C", s?.country],
        ["ST", s?.province],
        ["L", s?.locality],
        ["O", s?.organization],
        ["OU", s?.organizationalUnit],
        ["CN", s?.commonName],
    ];
    return parts
        .filter(([, v]) => v)
        .map(([k, v]) => `/${k}=${v}`)
        .join("");
}

function extensions(inputs: any, dnsNames: string[] = []): string {
    const lines: string[] = [];
    if (inputs.isCaCertificate) {
        const pathLen = typeof inputs.maxPathLength === "number" && inputs.maxPathLength > 0 ? `,pathlen:${inputs.maxPathLength}` : "";
        lines.push(`basicConstraints=critical,CA:TRUE${pathLen}`);
        lines.push("subjectKeyIdentifier=hash");
    } else {
        lines.push("basicConstraints=critical,CA:FALSE");
    }
    const usages = (inputs.allowedUses ?? []).map((u: string) => KEY_USAGE[u]).filter(Boolean);
    if (usages.length) lines.push(`keyUsage=critical,${usages.join(",")}`);
    if (dnsNames.length) lines.push(`subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(",")}`);
    return lines.join("\n") + "\n";
}

const requests = new Map<string, { subject: any; dnsNames: string[] }>();

export function emulateTls(type: string, name: string, inputs: any): Record<string, unknown> {
    const days = String(Math.max(1, Math.ceil((inputs.validityPeriodHours ?? 24) / 24)));
    if (type.endsWith("PrivateKey")) {
        const key =
            inputs.algorithm === "RSA"
                ? openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${inputs.rsaBits ?? 2048}`])
                : openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        return { ...inputs, privateKeyPem: key, publicKeyPem: openssl(["pkey", "-pubout"], key) };
    }
    if (type.endsWith("SelfSignedCert")) {
        const key = file(inputs.privateKeyPem);
        const config = file(`[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${extensions(inputs, inputs.dnsNames)}`);
        const certPem = openssl([
            "req",
            "-x509",
            "-new",
            "-key",
            key,
            "-subj",
            subject(inputs.subject),
            "-days",
            days,
            "-config",
            config,
            "-extensions",
            "v3",
        ]);
        return { ...inputs, certPem };
    }
    if (type.endsWith("CertRequest")) {
        const key = file(inputs.privateKeyPem);
        const csr = openssl(["req", "-new", "-key", key, "-subj", subject(inputs.subject)]);
        requests.set(csr, { subject: inputs.subject, dnsNames: inputs.dnsNames ?? [] });
        return { ...inputs, certRequestPem: csr };
    }
    if (type.endsWith("LocallySignedCert")) {
        const request = requests.get(inputs.certRequestPem);
        if (!request) throw new Error(`unknown CSR for ${name}`);
        const ext = file(extensions(inputs, request.dnsNames));
        const certPem = openssl([
            "x509",
            "-req",
            "-in",
            file(inputs.certRequestPem),
            "-CA",
            file(inputs.caCertPem),
            "-CAkey",
            file(inputs.caPrivateKeyPem),
            "-set_serial",
            String(Date.now() + counter),
            "-days",
            days,
            "-extfile",
            ext,
        ]);
        return { ...inputs, certPem };
    }
    throw new Error(`tls emulator: unsupported ${type}`);
}
