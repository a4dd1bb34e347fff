// The mesh's security rules as pure functions over resources (type, props, options), so that
// the policy pack and the tests share them. Each returns the violations it finds.
import { remoteSecret } from "../scripts/discovery.cjs";

export interface PolicyResource {
    type: string;
    name: string;
    props: any;
    /** Outputs the program marks secret (the Kubernetes SDK marks a Secret's data and stringData). */
    additionalSecretOutputs: string[];
}

const SECRET_TYPE = "kubernetes:core/v1:Secret";
export const CACERTS_KEYS = ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"];

function secretKeys(props: any): string[] {
    return [...Object.keys(props?.data ?? {}), ...Object.keys(props?.stringData ?? {})].sort();
}

/** Every `cacerts` has exactly the four keys, lives in istio-system, and its chain is intermediate + root. */
export function cacertsLayout(r: PolicyResource): string[] {
    if (r.type !== SECRET_TYPE || r.props?.metadata?.name !== "cacerts") return [];
    const problems: string[] = [];
    if (r.props.metadata.namespace !== "istio-system") {
        problems.push(
            `cacerts must be in namespace istio-system (istiod reads it only there), not ${r.props.metadata.namespace ?? "the provider's default"}`,
        );
    }
    const keys = secretKeys(r.props);
    if (JSON.stringify(keys) !== JSON.stringify(CACERTS_KEYS))
        problems.push(`cacerts must hold exactly ${CACERTS_KEYS.join(", ")}; it holds ${keys.join(", ") || "nothing"}`);
    const data = r.props.stringData;
    if (
        data?.["cert-chain.pem"] &&
        data["ca-cert.pem"] &&
        data["root-cert.pem"] &&
        data["cert-chain.pem"] !== data["ca-cert.pem"] + data["root-cert.pem"]
    ) {
        problems.push("cacerts cert-chain.pem must be ca-cert.pem followed by root-cert.pem");
    }
    return problems;
}

const DISCOVERY = "node scripts/discovery.cjs apply";

/**
 * Remote secrets carry the label and annotation Istio looks for, in istio-system, keyed by the
 * cluster name: those declared as resources (earlier releases), and those endpoint discovery's
 * command writes, checked as the command makes them from what it is told of each cluster; that
 * list names each cluster once, with an https address its peers can reach, and no credential.
 */
export function remoteSecretLayout(r: PolicyResource): string[] {
    if (r.type === "command:local:Command" && r.props?.create === DISCOVERY) return discoveryMembers(r);
    return declaredRemoteSecret(r);
}

function discoveryMembers(r: PolicyResource): string[] {
    const problems: string[] = [];
    const text = String(r.props?.environment?.CLUSTERS ?? "");
    if (KUBECONFIG_CREDENTIAL.test(text) || PRIVATE_KEY.test(text) || /"token"/.test(text))
        problems.push(`${r.name}: CLUSTERS holds a credential; it must only name how to reach each cluster`);
    let members: any[];
    try {
        members = JSON.parse(text);
    } catch {
        return [`${r.name}: CLUSTERS is not the JSON list of the mesh's clusters`];
    }
    const names = members.map((m) => m.clusterName);
    for (const name of names.filter((n, k) => names.indexOf(n) !== k)) problems.push(`${r.name}: cluster ${name} is listed twice`);
    for (const member of members) {
        const server = /^https:\/\/([^/:]+|\[[^\]]+\])/.exec(member.server ?? "")?.[1];
        if (!server) problems.push(`${r.name}: ${member.clusterName}: server ${member.server} must be an https URL`);
        else if (/^(127\.|localhost$|\[::1\]$)/.test(server))
            problems.push(`${r.name}: ${member.clusterName}: server ${member.server} is loopback: its peers cannot reach it`);
        const secret = remoteSecret(member, { token: "", "ca.crt": "" });
        problems.push(...declaredRemoteSecret({ type: SECRET_TYPE, name: r.name, props: secret, additionalSecretOutputs: [] }));
    }
    return problems;
}

function declaredRemoteSecret(r: PolicyResource): string[] {
    const name: string = r.props?.metadata?.name ?? "";
    const labelled = r.props?.metadata?.labels?.["istio/multiCluster"] !== undefined;
    if (r.type !== SECRET_TYPE || (!name.startsWith("istio-remote-secret-") && !labelled)) return [];
    const problems: string[] = [];
    if (r.props.metadata.labels?.["istio/multiCluster"] !== "true") problems.push(`${name}: label istio/multiCluster must be "true"`);
    const cluster = r.props.metadata.annotations?.["networking.istio.io/cluster"];
    if (!cluster) problems.push(`${name}: annotation networking.istio.io/cluster is missing`);
    if (r.props.metadata.namespace !== "istio-system") problems.push(`${name}: must be in namespace istio-system`);
    const keys = secretKeys(r.props);
    if (cluster && (keys.length !== 1 || keys[0] !== cluster))
        problems.push(`${name}: must hold one key named after the cluster (${cluster}), holds ${keys.join(", ")}`);
    return problems;
}

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const KUBECONFIG_CREDENTIAL = /\b(token|client-key-data):\s*\S+/;

/** Private keys, tokens and kubeconfigs only in Secrets whose data is a Pulumi secret; kubeconfig output hidden. */
export function credentialsStaySecret(r: PolicyResource): string[] {
    if (r.type === SECRET_TYPE) {
        const hidden = ["data", "stringData"].every((k) => r.additionalSecretOutputs.includes(k));
        return hidden ? [] : [`${r.name}: a Secret's data and stringData must be Pulumi secrets`];
    }
    if (r.type === "command:local:Command" && /kubeconfig|token/.test(String(r.props?.create ?? ""))) {
        const problems: string[] = [];
        if (!r.additionalSecretOutputs.includes("stdout"))
            problems.push(`${r.name}: a command printing credentials must mark stdout secret`);
        if (!["stderr", "none"].includes(r.props?.logging)) problems.push(`${r.name}: a command printing credentials must not log stdout`);
        return problems;
    }
    if (r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh")) {
        const text = JSON.stringify(r.props ?? {});
        if (PRIVATE_KEY.test(text)) return [`${r.name}: holds a private key outside a Secret`];
        if (r.type === "kubernetes:core/v1:ConfigMap" && KUBECONFIG_CREDENTIAL.test(text))
            return [`${r.name}: holds a credential outside a Secret`];
    }
    return [];
}

/** The root CA's key (what signs the intermediates) is never written into a cluster. */
export function rootKeyStaysOut(resources: PolicyResource[]): string[] {
    const signingKeys = new Set(
        resources
            .filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")
            .map((r) => String(r.props?.caPrivateKeyPem ?? "").trim())
            .filter(Boolean),
    );
    const problems: string[] = [];
    for (const r of resources.filter((r) => r.type.startsWith("kubernetes:"))) {
        const text = JSON.stringify(r.props ?? {});
        for (const key of signingKeys) {
            if (text.includes(JSON.stringify(key).slice(1, -1))) problems.push(`${r.name}: contains the root CA's private key`);
        }
    }
    return problems;
}

/** Every istiod: the same mesh ID, and its own cluster name and network. */
export function istiodIdentity(resources: PolicyResource[]): string[] {
    const istiods = resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.props?.chart === "istiod");
    const problems: string[] = [];
    const meshIds = new Set(istiods.map((r) => r.props.values?.global?.meshID));
    if (meshIds.size > 1) problems.push(`istiod releases disagree on global.meshID: ${[...meshIds].join(", ")}`);
    for (const field of ["clusterName", "network"] as const) {
        const seen = new Map<string, string>();
        for (const r of istiods) {
            const g = r.props.values?.global ?? {};
            const value = field === "clusterName" ? g.multiCluster?.clusterName : g.network;
            if (!value) problems.push(`${r.name}: global.${field === "clusterName" ? "multiCluster.clusterName" : "network"} is not set`);
            else if (seen.has(value)) problems.push(`${r.name} and ${seen.get(value)} share ${field} ${value}: each cluster needs its own`);
            else seen.set(value, r.name);
        }
    }
    return problems;
}
