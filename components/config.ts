// Typed configuration: read once, validated before any resource is declared.
// Everything here is pure; `loadConfig` is the only function that touches Pulumi.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { MAX_CLUSTERS, ipToInt, isIpv4, parseCidr, podSubnet, serviceSubnet } from "./address-plan";

export const CONFIG_NAMESPACE = "istio-multicluster";

// The defaults of every key; Pulumi.yaml declares the same (test/project-config.test.ts).
export const DEFAULTS = {
    provisioner: "kind",
    clusterCount: 3,
    istioVersion: "1.31.1",
    istioCanary: "", // none
    istioDowngrade: false,
    istioHub: "docker.io/istio",
    // Istio publishes its charts here since 1.31 (storage.googleapis.com has no 1.31 charts).
    istioChartRepo: "https://blob.istio.io/istio-release/charts",
    meshId: "mesh1",
    kindNodeImage: "kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed",
    metallbVersion: "0.16.1",
    metallbChartRepo: "https://metallb.github.io/metallb",
    sampleApps: true,
    sampleRegistry: "docker.io",
    preflight: true,
    preloadImages: true,
    discovery: "endpoint",
    caKeyAlgorithm: "RSA",
    rootCaValidityHours: 87600, // 10 years
    intermediateCaValidityHours: 8760, // 1 year
    intermediateCaEarlyRenewalHours: 720, // renew in the last 30 days
    helmTimeoutSeconds: 600,
} as const;

export type Provisioner = "kind" | "existing";
export type Discovery = "endpoint" | "federated";
export type KeyAlgorithm = "RSA" | "ECDSA";

/** How a cluster's LoadBalancer Services get addresses. */
export type LoadBalancerSpec =
    | { type: "kind-metallb" } // MetalLB, pool carved from the kind docker network at deploy time
    | { type: "metallb"; range: string } // MetalLB with a range the user gives
    | { type: "platform"; gatewayAddress?: string; serviceAnnotations?: Record<string, string> }; // the platform provides them (cloud LB, existing MetalLB...)

export interface ClusterSpec {
    /** 1-based position in the mesh. */
    index: number;
    /** Kube context name (and kind cluster name for kind). */
    context: string;
    /** Istio cluster name (global.multiCluster.clusterName). */
    clusterName: string;
    /** Istio network (global.network, topology.istio.io/network). */
    network: string;
    loadBalancer: LoadBalancerSpec;
    /** kind only: per-cluster subnets. */
    kind?: { serviceSubnet: string; podSubnet: string };
    /** existing only: where the cluster is and how peers reach its API server. */
    existing?: { kubeconfig?: string; apiServer: string; apiServerCaData?: string; apiServerTlsServerName?: string };
    /**
     * existing only: the cluster cannot be reached any more (or is to be left as it is): the
     * program changes and deletes nothing in it, and keeps none of it in the stack once it leaves.
     */
    gone?: true;
}

export interface ServicePort {
    name: string;
    port: number;
    protocol: string;
}

/** A service offered to the other clusters in federated discovery. */
export interface ExportedService {
    name: string;
    namespace: string;
    ports: ServicePort[];
    serviceAccount: string;
    /** Istio cluster names that run the service's workloads. */
    clusters: string[];
    /** Pod labels selecting the service's workloads. */
    labels: Record<string, string>;
    /** Optional namespace-independent name, e.g. helloworld.mesh.internal. */
    meshHost?: string;
}

export interface MeshConfig {
    provisioner: Provisioner;
    clusters: ClusterSpec[];
    istioVersion: string;
    /** A second Istio version run beside istioVersion as revision tag `canary` (components/revisions.ts). */
    istioCanary?: string;
    /** Accept an istioCanary older than istioVersion that no longer runs (an explicit rollback). */
    istioDowngrade: boolean;
    istioHub: string;
    /** Helm repository of Istio's charts: an http(s) chart repository or an oci:// registry path. */
    istioChartRepo: string;
    meshId: string;
    kindNodeImage: string;
    metallbVersion: string;
    metallbChartRepo: string;
    sampleApps: boolean;
    sampleRegistry: string;
    preflight: boolean;
    preloadImages: boolean;
    discovery: Discovery;
    /** Explicit exports from config; sample-app exports are added by the program. */
    exports: ExportedService[];
    pki: {
        keyAlgorithm: KeyAlgorithm;
        rootValidityHours: number;
        intermediateValidityHours: number;
        intermediateEarlyRenewalHours: number;
    };
    helmTimeoutSeconds: number;
}

export class ConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ConfigError";
    }
}

/** Reads one raw config value (a string, as `pulumi config get` shows it), or undefined. */
export type RawConfig = (key: string) => string | undefined;

function fail(key: string, value: unknown, allowed: string): never {
    const shown = JSON.stringify(value) ?? String(value);
    throw new ConfigError(`Invalid config ${CONFIG_NAMESPACE}:${key} = ${shown}: ${allowed}.`);
}

function integer(raw: RawConfig, key: string, def: number, min: number, max: number): number {
    const value = raw(key);
    if (value === undefined) return def;
    const text = value.trim();
    if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
        fail(key, value, `must be a whole number from ${min} to ${max}`);
    }
    return Number(text);
}

function boolean(raw: RawConfig, key: string, def: boolean): boolean {
    const value = raw(key);
    if (value === undefined) return def;
    if (value === "true") return true;
    if (value === "false") return false;
    return fail(key, value, "must be true or false");
}

function string(raw: RawConfig, key: string, def: string, pattern: RegExp, allowed: string): string {
    const value = raw(key);
    if (value === undefined) return def;
    if (!pattern.test(value)) fail(key, value, allowed);
    return value;
}

/**
 * A chart repository as helm takes it: http(s)://host[/path] (a repository with an index.yaml)
 * or oci://registry/path (charts in an OCI registry). No credentials in the URL: they would land
 * in the state in plain text.
 */
function chartRepository(raw: RawConfig, key: string, def: string): string {
    const value = raw(key);
    if (value === undefined) return def;
    const allowed =
        "must be the URL of a Helm chart repository, http(s)://host/path, or an OCI registry path, oci://host/path, without credentials";
    let url: URL;
    try {
        url = new URL(value.trim());
    } catch {
        return fail(key, value, allowed);
    }
    const schemes = ["http:", "https:", "oci:"];
    if (!schemes.includes(url.protocol) || url.hostname === "" || url.username || url.password || url.search || url.hash) {
        fail(key, value, allowed);
    }
    if (url.protocol === "oci:" && url.pathname.replace(/\/+$/, "") === "") fail(key, value, allowed);
    return value.trim().replace(/\/+$/, "");
}

function oneOf<T extends string>(raw: RawConfig, key: string, def: T, values: readonly T[]): T {
    const value = raw(key);
    if (value === undefined) return def;
    if (!(values as readonly string[]).includes(value)) fail(key, value, `must be one of ${values.join(", ")}`);
    return value as T;
}

function json(raw: RawConfig, key: string): unknown {
    const value = raw(key);
    if (value === undefined) return undefined;
    try {
        return JSON.parse(value);
    } catch {
        return fail(key, value, "must be a list set with `pulumi config set --path` or as JSON");
    }
}

const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
// registry[:port]/path:tag or @sha256:digest; a tag or a digest is required so the image is pinned.
const IMAGE_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*/;
const IMAGE = new RegExp(IMAGE_NAME.source + /((:[\w][\w.-]{0,127})(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$/.source);
const REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** Parses and validates the whole configuration. Throws ConfigError naming key, value and what is allowed. */
export function parseConfig(raw: RawConfig): MeshConfig {
    const provisioner = oneOf<Provisioner>(raw, "provisioner", DEFAULTS.provisioner, ["kind", "existing"]);
    const istioVersion = string(raw, "istioVersion", DEFAULTS.istioVersion, VERSION, "must be a release version such as 1.31.1");
    const canary = raw("istioCanary");
    const istioCanary =
        canary === undefined || canary === ""
            ? undefined
            : string(raw, "istioCanary", "", VERSION, "must be a release version such as 1.31.4, or empty for no canary");
    const istioDowngrade = boolean(raw, "istioDowngrade", DEFAULTS.istioDowngrade);
    const istioHub = string(raw, "istioHub", DEFAULTS.istioHub, REGISTRY, "must be an image registry path such as docker.io/istio");
    const istioChartRepo = chartRepository(raw, "istioChartRepo", DEFAULTS.istioChartRepo);
    const meshId = string(raw, "meshId", DEFAULTS.meshId, DNS_LABEL, "must be a DNS label (lower-case letters, digits, '-')");
    const kindNodeImage = string(
        raw,
        "kindNodeImage",
        DEFAULTS.kindNodeImage,
        IMAGE,
        "must be an image reference with a tag or digest, e.g. kindest/node:v1.36.4@sha256:<64 hex>",
    );
    const metallbVersion = string(raw, "metallbVersion", DEFAULTS.metallbVersion, VERSION, "must be a chart version such as 0.16.1");
    const metallbChartRepo = chartRepository(raw, "metallbChartRepo", DEFAULTS.metallbChartRepo);
    const sampleApps = boolean(raw, "sampleApps", DEFAULTS.sampleApps);
    const sampleRegistry = string(raw, "sampleRegistry", DEFAULTS.sampleRegistry, REGISTRY, "must be an image registry such as docker.io");
    const preflight = boolean(raw, "preflight", DEFAULTS.preflight);
    const preloadImages = boolean(raw, "preloadImages", DEFAULTS.preloadImages);
    const discovery = oneOf<Discovery>(raw, "discovery", DEFAULTS.discovery, ["endpoint", "federated"]);
    const helmTimeoutSeconds = integer(raw, "helmTimeoutSeconds", DEFAULTS.helmTimeoutSeconds, 60, 3600);

    const keyAlgorithm = oneOf<KeyAlgorithm>(raw, "caKeyAlgorithm", DEFAULTS.caKeyAlgorithm, ["RSA", "ECDSA"]);
    const rootValidityHours = integer(raw, "rootCaValidityHours", DEFAULTS.rootCaValidityHours, 24, 876000);
    const intermediateValidityHours = integer(
        raw,
        "intermediateCaValidityHours",
        DEFAULTS.intermediateCaValidityHours,
        24,
        rootValidityHours,
    );
    const intermediateEarlyRenewalHours = integer(
        raw,
        "intermediateCaEarlyRenewalHours",
        DEFAULTS.intermediateCaEarlyRenewalHours,
        0,
        intermediateValidityHours - 1,
    );

    let clusters: ClusterSpec[];
    if (provisioner === "kind") {
        const count = integer(raw, "clusterCount", DEFAULTS.clusterCount, 1, MAX_CLUSTERS);
        clusters = Array.from({ length: count }, (_, k) => kindCluster(k + 1));
    } else {
        clusters = existingClusters(json(raw, "clusters"));
        // The CLI always passes Pulumi.yaml's default, so only a count that contradicts the list is an error.
        const count = raw("clusterCount")?.trim();
        if (count !== undefined && count !== String(DEFAULTS.clusterCount) && count !== String(clusters.length)) {
            fail(
                "clusterCount",
                raw("clusterCount"),
                `is for provisioner kind; with existing, the clusters are those listed in \`clusters\` (${clusters.length}): remove clusterCount`,
            );
        }
    }

    if (discovery === "federated") {
        clusters.forEach((c, k) => {
            if (c.loadBalancer.type === "platform" && !c.loadBalancer.gatewayAddress) {
                fail(
                    `clusters[${k}].gatewayAddress`,
                    undefined,
                    "is required with discovery federated and loadBalancer platform: every peer's istiod is configured with it",
                );
            }
        });
    }
    const exportedServices = parseExports(json(raw, "exports"), clusters);

    return {
        provisioner,
        clusters,
        istioVersion,
        ...(istioCanary ? { istioCanary } : {}),
        istioDowngrade,
        istioHub,
        istioChartRepo,
        meshId,
        kindNodeImage,
        metallbVersion,
        metallbChartRepo,
        sampleApps,
        sampleRegistry,
        preflight,
        preloadImages,
        discovery,
        exports: exportedServices,
        pki: { keyAlgorithm, rootValidityHours, intermediateValidityHours, intermediateEarlyRenewalHours },
        helmTimeoutSeconds,
    };
}

/** Cluster i of the kind provisioner: everything derived from i. */
export function kindCluster(index: number): ClusterSpec {
    return {
        index,
        context: `istio-${index}`,
        clusterName: `cluster${index}`,
        network: `network${index}`,
        loadBalancer: { type: "kind-metallb" },
        kind: { serviceSubnet: serviceSubnet(index), podSubnet: podSubnet(index) },
    };
}

const LOOPBACK_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|0\.0\.0\.0|\[?::\]?)$/i;

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function existingClusters(value: unknown): ClusterSpec[] {
    if (!Array.isArray(value) || value.length === 0) {
        fail("clusters", value, "with provisioner existing, must be a list of clusters ({context, apiServer, ...})");
    }
    if (value.length > MAX_CLUSTERS) fail("clusters", `${value.length} entries`, `at most ${MAX_CLUSTERS} clusters`);
    const specs = value.map((entry, k): ClusterSpec => {
        const index = k + 1;
        const key = (field: string) => `clusters[${k}].${field}`;
        if (!isObject(entry)) fail(`clusters[${k}]`, entry, "must be an object with context and apiServer");
        const allowedFields = [
            "context",
            "kubeconfig",
            "apiServer",
            "clusterName",
            "network",
            "loadBalancer",
            "metallbRange",
            "gatewayAddress",
            "gatewayServiceAnnotations",
            "apiServerCaFile",
            "apiServerTlsServerName",
            "gone",
        ];
        for (const field of Object.keys(entry)) {
            if (!allowedFields.includes(field)) fail(key(field), entry[field], `unknown field; allowed: ${allowedFields.join(", ")}`);
        }
        const context = entry.context;
        if (typeof context !== "string" || context.trim() === "") fail(key("context"), context, "must name a kube context");
        const kubeconfig = entry.kubeconfig;
        if (kubeconfig !== undefined && (typeof kubeconfig !== "string" || kubeconfig === "")) {
            fail(key("kubeconfig"), kubeconfig, "must be the path of a kubeconfig file");
        }
        const apiServer = entry.apiServer;
        let url: URL | undefined;
        try {
            url = typeof apiServer === "string" ? new URL(apiServer) : undefined;
        } catch {
            url = undefined;
        }
        if (!url || url.protocol !== "https:") {
            fail(key("apiServer"), apiServer, "must be the https:// URL at which the other clusters reach this API server");
        }
        if (LOOPBACK_HOSTS.test(url.hostname)) {
            fail(key("apiServer"), apiServer, "must not be a loopback address: the other clusters cannot reach it");
        }
        const clusterName = entry.clusterName ?? `cluster${index}`;
        if (typeof clusterName !== "string" || !DNS_LABEL.test(clusterName)) {
            fail(key("clusterName"), clusterName, "must be a DNS label (lower-case letters, digits, '-')");
        }
        const network = entry.network ?? `network${index}`;
        if (typeof network !== "string" || !DNS_LABEL.test(network)) {
            fail(key("network"), network, "must be a DNS label (lower-case letters, digits, '-')");
        }
        const lbType = entry.loadBalancer ?? "platform";
        let loadBalancer: LoadBalancerSpec;
        if (lbType === "platform") {
            if (entry.metallbRange !== undefined) fail(key("metallbRange"), entry.metallbRange, 'only with loadBalancer "metallb"');
            const gatewayAddress = entry.gatewayAddress;
            if (
                gatewayAddress !== undefined &&
                (typeof gatewayAddress !== "string" || !(isIpv4(gatewayAddress) || DNS_NAME.test(gatewayAddress)))
            ) {
                fail(
                    key("gatewayAddress"),
                    gatewayAddress,
                    "must be the IPv4 address or DNS name of the east-west gateway's load balancer",
                );
            }
            const annotations = entry.gatewayServiceAnnotations;
            if (annotations !== undefined && (!isObject(annotations) || Object.values(annotations).some((v) => typeof v !== "string"))) {
                fail(key("gatewayServiceAnnotations"), annotations, "must map annotation names to string values");
            }
            loadBalancer = {
                type: "platform",
                ...(gatewayAddress === undefined ? {} : { gatewayAddress }),
                ...(annotations ? { serviceAnnotations: annotations as Record<string, string> } : {}),
            };
        } else if (lbType === "metallb") {
            if (entry.gatewayAddress !== undefined)
                fail(key("gatewayAddress"), entry.gatewayAddress, "is taken from metallbRange (its first address)");
            if (entry.gatewayServiceAnnotations !== undefined)
                fail(
                    key("gatewayServiceAnnotations"),
                    entry.gatewayServiceAnnotations,
                    'only with loadBalancer "platform" (MetalLB is annotated by the program)',
                );
            if (entry.metallbRange === undefined) {
                fail(
                    key("metallbRange"),
                    undefined,
                    'is required with loadBalancer "metallb": an address range "a.b.c.d-e.f.g.h" or a CIDR',
                );
            }
            loadBalancer = { type: "metallb", range: addressRange(key("metallbRange"), entry.metallbRange) };
        } else {
            return fail(key("loadBalancer"), lbType, 'must be "platform" or "metallb"');
        }
        // `pulumi config set --path 'clusters[0].gone' true` may store a boolean or a string.
        const gone =
            entry.gone === true || entry.gone === "true"
                ? true
                : entry.gone === undefined || entry.gone === false || entry.gone === "false"
                  ? false
                  : undefined;
        if (gone === undefined) {
            fail(key("gone"), entry.gone, "must be true (the cluster cannot be reached any more, or is to be left as it is) or false");
        }
        const tlsServerName = entry.apiServerTlsServerName;
        if (tlsServerName !== undefined && (typeof tlsServerName !== "string" || !DNS_NAME.test(tlsServerName))) {
            fail(key("apiServerTlsServerName"), tlsServerName, "must be the DNS name in the API server's certificate");
        }
        return {
            index,
            context,
            clusterName,
            network,
            loadBalancer,
            existing: {
                apiServer: url.toString().replace(/\/$/, ""),
                ...(kubeconfig ? { kubeconfig } : {}),
                ...(entry.apiServerCaFile !== undefined
                    ? { apiServerCaData: caBundle(key("apiServerCaFile"), entry.apiServerCaFile) }
                    : {}),
                ...(tlsServerName ? { apiServerTlsServerName: tlsServerName } : {}),
            },
            ...(gone ? { gone: true as const } : {}),
        };
    });
    for (const field of ["context", "clusterName", "network"] as const) {
        const seen = new Map<string, number>();
        specs.forEach((spec, k) => {
            const previous = seen.get(spec[field]);
            if (previous !== undefined) {
                fail(`clusters[${k}].${field}`, spec[field], `must be unique; clusters[${previous}] has it too`);
            }
            seen.set(spec[field], k);
        });
    }
    return specs;
}

/** A PEM CA bundle file, as base64 for a kubeconfig's certificate-authority-data. */
function caBundle(key: string, file: unknown): string {
    if (typeof file !== "string" || file === "")
        fail(key, file, "must be the path of a PEM file with the CA certificates of the apiServer URL");
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        return fail(key, file, `cannot be read (${(error as NodeJS.ErrnoException).code}): must be the path of a PEM file`);
    }
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
        fail(key, file, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return Buffer.from(text, "utf8").toString("base64");
}

function addressRange(key: string, value: unknown): string {
    if (typeof value === "string") {
        try {
            if (value.includes("/")) {
                parseCidr(value);
                return value;
            }
            const [first, last] = value.split("-");
            if (last !== undefined && ipToInt(first.trim()) <= ipToInt(last.trim())) return `${first.trim()}-${last.trim()}`;
        } catch {
            // fall through to the error below
        }
    }
    return fail(key, value, 'must be an IPv4 range "a.b.c.d-e.f.g.h" (first <= last) or a CIDR');
}

function parseExports(value: unknown, clusters: ClusterSpec[]): ExportedService[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) fail("exports", value, "must be a list of exported services");
    const clusterNames = clusters.map((c) => c.clusterName);
    return value.map((entry, k): ExportedService => {
        const key = (field: string) => `exports[${k}].${field}`;
        if (!isObject(entry)) fail(`exports[${k}]`, entry, "must be an object {name, namespace, ports, serviceAccount, clusters}");
        const name = entry.name;
        if (typeof name !== "string" || !DNS_LABEL.test(name)) fail(key("name"), name, "must be a Service name (DNS label)");
        const namespace = entry.namespace;
        if (typeof namespace !== "string" || !DNS_LABEL.test(namespace))
            fail(key("namespace"), namespace, "must be a namespace (DNS label)");
        const serviceAccount = entry.serviceAccount ?? "default";
        if (typeof serviceAccount !== "string" || !DNS_NAME.test(serviceAccount)) {
            fail(key("serviceAccount"), serviceAccount, "must be a ServiceAccount name");
        }
        const ports = entry.ports;
        if (!Array.isArray(ports) || ports.length === 0) fail(key("ports"), ports, "must list at least one {name, port}");
        const parsedPorts = ports.map((p, n): ServicePort => {
            const portKey = `${key("ports")}[${n}]`;
            if (!isObject(p) || typeof p.name !== "string" || !DNS_LABEL.test(p.name)) fail(portKey, p, "must have a name (DNS label)");
            if (typeof p.port !== "number" || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
                fail(`${portKey}.port`, p.port, "must be a port number from 1 to 65535");
            }
            const protocol = p.protocol ?? "HTTP";
            if (typeof protocol !== "string" || !["HTTP", "HTTP2", "GRPC", "TCP", "TLS", "HTTPS"].includes(protocol)) {
                fail(`${portKey}.protocol`, protocol, "must be one of HTTP, HTTP2, GRPC, TCP, TLS, HTTPS");
            }
            return { name: p.name, port: p.port, protocol };
        });
        const runsIn = entry.clusters;
        if (!Array.isArray(runsIn) || runsIn.length === 0)
            fail(key("clusters"), runsIn, `must list the clusters that run it (of ${clusterNames.join(", ")})`);
        for (const c of runsIn) {
            if (typeof c !== "string" || !clusterNames.includes(c))
                fail(key("clusters"), c, `is not a cluster of this mesh (${clusterNames.join(", ")})`);
        }
        const labels = entry.labels ?? { app: name };
        if (!isObject(labels) || Object.values(labels).some((v) => typeof v !== "string")) {
            fail(key("labels"), labels, "must map label names to string values");
        }
        const meshHost = entry.meshHost;
        if (meshHost !== undefined && (typeof meshHost !== "string" || !DNS_NAME.test(meshHost) || !meshHost.includes("."))) {
            fail(key("meshHost"), meshHost, "must be a DNS name such as helloworld.mesh.internal");
        }
        return {
            name,
            namespace,
            ports: parsedPorts,
            serviceAccount,
            clusters: runsIn as string[],
            labels: labels as Record<string, string>,
            ...(meshHost ? { meshHost } : {}),
        };
    });
}

/** Reads the stack's config (namespace istio-multicluster) once. */
export function loadConfig(): MeshConfig {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    return parseConfig((key) => config.get(key));
}
