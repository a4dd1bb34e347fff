// IstioControlPlane: Istio multi-primary on its own network, by the official Helm charts.
// Order inside a cluster: namespace + cacerts -> istio-base -> istiod of each revision -> tag
// webhooks -> east-west gateway (after LoadBalancer support) -> cross-network Gateway.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource } from "./charts";
import { MeshCluster, inCluster } from "./cluster";
import { ClusterCa } from "./mesh-pki";
import { revisionTagWebhooks } from "./revision-tags";
import { waitForObject } from "./wait-object";
import { RevisionPlan, RevisionTag } from "./revisions";

export const ISTIO_NAMESPACE = "istio-system";
export const EASTWEST_GATEWAY = "istio-eastwestgateway";
export const EASTWEST_SELECTOR = { istio: "eastwestgateway" };
export const CROSS_NETWORK_PORT = 15443;
/** Changing this pod annotation restarts istiod, which reads `cacerts` only at start. */
export const CA_FINGERPRINT_ANNOTATION = "istio-multicluster/ca-fingerprint";

export interface IstioControlPlaneArgs {
    cluster: MeshCluster;
    meshId: string;
    /** The istiod revisions to run and where the tags point (components/revisions.ts). */
    revisions: RevisionPlan;
    hub: string;
    /** Helm repository of Istio's charts (config istioChartRepo). */
    chartRepo: string;
    ca: ClusterCa;
    /** LoadBalancer support that the east-west gateway's Service needs. */
    loadBalancerReady: pulumi.Resource[];
    timeoutSeconds: number;
    /** Hosts the east-west gateway passes through; all mesh services by default, none: no Gateway. */
    gatewayHosts?: string[];
    /** istiod `global.meshNetworks` (federated discovery: the peers' gateways). */
    meshNetworks?: pulumi.Input<Record<string, unknown>>;
    /** Sidecar DNS capture, so namespace-independent ServiceEntry names resolve. */
    dnsCapture?: boolean;
}

export function istiodValues(args: {
    meshId: string;
    clusterName: string;
    network: string;
    hub: string;
    version: string;
    caFingerprint: string;
    /** "" only for the unrevisioned release of earlier releases, kept until its workloads moved. */
    revision: string;
    meshNetworks?: Record<string, unknown>;
    dnsCapture?: boolean;
}): Record<string, unknown> {
    const legacy = args.revision === "";
    return {
        // Tags are the program's own webhooks (revision-tags.ts), so revisionTags stays empty.
        ...(legacy ? {} : { revision: args.revision }),
        global: {
            meshID: args.meshId,
            multiCluster: { clusterName: args.clusterName },
            network: args.network,
            hub: args.hub,
            tag: args.version,
            ...(args.meshNetworks ? { meshNetworks: args.meshNetworks } : {}),
            // The unrevisioned release's own injector matches istio-injection=enabled, as the
            // default tag does: it is switched off while the release is kept (no double injection).
            ...(legacy ? { operatorManageWebhooks: true } : {}),
        },
        ...(args.dnsCapture
            ? // Addresses for ServiceEntry hosts come from istiod (PILOT_ENABLE_IP_AUTOALLOCATE, on by default).
              { meshConfig: { defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "true" } } } }
            : {}),
        podAnnotations: { [CA_FINGERPRINT_ANNOTATION]: args.caFingerprint },
        // The chart asks for 2Gi per istiod; a laptop runs several clusters.
        resources: { requests: { cpu: "100m", memory: "512Mi" } },
    };
}

/**
 * The east-west gateway chart's values. `annotations` go on its Service: MetalLB's
 * `metallb.io/loadBalancerIPs` pins the address (the deprecated `spec.loadBalancerIP` is not set;
 * MetalLB rejects a Service with both), or a platform's own annotations for a reserved address.
 */
export function eastWestGatewayValues(
    network: string,
    revision: string,
    annotations: Record<string, string> = {},
): Record<string, unknown> {
    return {
        name: EASTWEST_GATEWAY,
        // Injected by the default revision. Moving it rolls the gateway: a new pod is ready before
        // an old one stops, so the gateway's address keeps answering.
        revision,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        // Sets the network label, ISTIO_META_REQUESTED_NETWORK_VIEW, ports 15021/15443/15012/15017
        // and the selector label istio: eastwestgateway.
        networkGateway: network,
        ...(Object.keys(annotations).length > 0 ? { service: { annotations } } : {}),
    };
}

export const METALLB_ADDRESS_ANNOTATION = "metallb.io/loadBalancerIPs";

export function crossNetworkGateway(hosts: string[]): Record<string, unknown> {
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "cross-network-gateway", namespace: ISTIO_NAMESPACE },
        spec: {
            selector: EASTWEST_SELECTOR,
            // One server only: two servers on 15443 break the listener.
            servers: [
                {
                    port: { number: CROSS_NETWORK_PORT, name: "tls", protocol: "TLS" },
                    tls: { mode: "AUTO_PASSTHROUGH" },
                    hosts,
                },
            ],
        },
    };
}

/** The Pulumi name and Helm release name of a revision's istiod ("" keeps the earlier `istiod`). */
export function istiodReleaseName(revision: string): string {
    return revision === "" ? "istiod" : `istiod-${revision}`;
}

export class IstioControlPlane extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly base: k8s.helm.v3.Release;
    /** The default revision's istiod. */
    public readonly istiod: k8s.helm.v3.Release;
    /** istio-base, every istiod and every tag webhook: the revision plan is in place once all exist. */
    public readonly revisionResources: pulumi.CustomResource[] = [];
    /** What a pod needs before it is created, per tag: that revision's istiod and the tag's webhook. */
    public readonly injectors: Partial<Record<RevisionTag, pulumi.Resource[]>> = {};
    public readonly eastWestGateway: k8s.helm.v3.Release;
    /** The east-west gateway's external address (what peers send cross-network traffic to). */
    public readonly gatewayAddress: pulumi.Output<string>;

    constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:IstioControlPlane", name, {}, opts);
        const { cluster, revisions: plan } = args;
        const { clusterName, network } = cluster.spec;
        const release = (chart: string, releaseName: string, version: string, values: pulumi.Input<Record<string, unknown>>) => ({
            name: releaseName,
            ...chartSource(args.chartRepo, chart),
            version,
            namespace: ISTIO_NAMESPACE,
            values,
            timeout: args.timeoutSeconds,
        });

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: ISTIO_NAMESPACE, labels: { "topology.istio.io/network": network } } },
            inCluster(cluster, this),
        );

        // cacerts before istiod: istiod reads it only at start, else it keeps a self-signed CA.
        // Every revision in the cluster shares it, so their workloads trust each other.
        const cacerts = new k8s.core.v1.Secret(
            `${name}-cacerts`,
            { metadata: { name: "cacerts", namespace: ISTIO_NAMESPACE }, stringData: args.ca.files },
            inCluster(cluster, this, [this.namespace]),
        );

        // The CRDs of the newest running version, before any istiod; its default validator
        // (istiod-default-validator) sends to the default revision.
        this.base = new k8s.helm.v3.Release(
            `${name}-istio-base`,
            release("base", "istio-base", plan.baseVersion, { defaultRevision: plan.defaultRevision }),
            inCluster(cluster, this, [this.namespace]),
        );

        const istiods = new Map<string, k8s.helm.v3.Release>();
        for (const revision of plan.revisions) {
            const releaseName = istiodReleaseName(revision.revision);
            istiods.set(
                revision.revision,
                new k8s.helm.v3.Release(
                    `${name}-${releaseName}`,
                    release(
                        "istiod",
                        releaseName,
                        revision.version,
                        pulumi.all([args.ca.fingerprint, args.meshNetworks]).apply(([caFingerprint, meshNetworks]) =>
                            istiodValues({
                                meshId: args.meshId,
                                clusterName,
                                network,
                                hub: args.hub,
                                version: revision.version,
                                caFingerprint,
                                revision: revision.revision,
                                meshNetworks,
                                dnsCapture: args.dnsCapture,
                            }),
                        ),
                    ),
                    inCluster(cluster, this, [cacerts, this.base]),
                ),
            );
        }
        this.istiod = istiods.get(plan.defaultRevision)!;

        // A tag's webhook only once its revision serves (failurePolicy Fail would block every pod),
        // and after any kept unrevisioned release has switched its own injector off.
        const allIstiods = [...istiods.values()];
        const tags: [RevisionTag, string | undefined][] = [
            ["default", plan.defaultRevision],
            ["canary", plan.canaryRevision],
        ];
        for (const [tag, revision] of tags) {
            if (revision === undefined) continue;
            const webhook = new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
                `${name}-tag-${tag}`,
                revisionTagWebhooks(tag, revision) as k8s.admissionregistration.v1.MutatingWebhookConfigurationArgs,
                inCluster(cluster, this, allIstiods),
            );
            this.injectors[tag] = [istiods.get(revision)!, webhook];
            this.revisionResources.push(webhook);
        }
        this.revisionResources.push(this.base, ...allIstiods);

        // After istiod: the gateway's pods are injected by istiod's webhook (image "auto").
        // A known address (MetalLB range, reserved platform address) is requested explicitly,
        // so peers can be configured with it before the gateway exists.
        const pinned = cluster.loadBalancer.gatewayAddress;
        const gatewayVersion = plan.revisions[0].version;
        this.eastWestGateway = new k8s.helm.v3.Release(
            `${name}-eastwestgateway`,
            release(
                "gateway",
                EASTWEST_GATEWAY,
                gatewayVersion,
                pulumi
                    .output(pinned)
                    .apply((address) =>
                        eastWestGatewayValues(
                            network,
                            plan.defaultRevision,
                            cluster.loadBalancer.type === "metallb" && address
                                ? { [METALLB_ADDRESS_ANNOTATION]: address }
                                : cluster.loadBalancer.type === "platform"
                                  ? (cluster.loadBalancer.serviceAnnotations ?? {})
                                  : {},
                        ),
                    ),
            ),
            inCluster(cluster, this, [this.istiod, ...args.loadBalancerReady]),
        );
        const hosts = args.gatewayHosts ?? ["*.local"];
        if (hosts.length > 0) {
            new k8s.apiextensions.CustomResource(
                `${name}-cross-network-gateway`,
                crossNetworkGateway(hosts) as k8s.apiextensions.CustomResourceArgs,
                inCluster(cluster, this, [this.eastWestGateway]),
            );
        }

        if (pinned) {
            this.gatewayAddress = pinned;
        } else {
            // The platform's address, read once the release (which waits for it) is done.
            this.gatewayAddress = waitForObject(
                `${name}-eastwestgateway-address`,
                {
                    mode: "gateway-address",
                    cluster,
                    namespace: ISTIO_NAMESPACE,
                    objectName: EASTWEST_GATEWAY,
                    timeoutSeconds: args.timeoutSeconds,
                    object: this.eastWestGateway,
                    trigger: this.eastWestGateway.id,
                },
                this,
            ).apply((stdout) => stdout.trim());
        }
        this.registerOutputs({ gatewayAddress: this.gatewayAddress, clusterName, network, revisions: plan.revisions });
    }
}
