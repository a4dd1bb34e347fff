// Federated discovery: no Kubernetes credential crosses clusters. The program knows every
// cluster's east-west gateway address and what each cluster exports, and writes into each
// cluster the Istio configuration that routes to the others through their gateways.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshCluster, inCluster } from "./cluster";
import { ClusterSpec, ExportedService } from "./config";
import { CROSS_NETWORK_PORT } from "./istio";

export function serviceHost(svc: ExportedService): string {
    return `${svc.name}.${svc.namespace}.svc.cluster.local`;
}

/** Hosts a cluster's east-west gateway passes through: only what that cluster runs and exports. */
export function exportedHosts(clusterName: string, services: ExportedService[]): string[] {
    return services
        .filter((svc) => svc.clusters.includes(clusterName))
        .flatMap((svc) => [serviceHost(svc), ...(svc.meshHost ? [svc.meshHost] : [])]);
}

/** istiod's global.meshNetworks for `self`: every other network and its gateway. */
export function meshNetworks(self: ClusterSpec, peers: { spec: ClusterSpec; gatewayAddress: string }[]): Record<string, unknown> {
    const networks: Record<string, unknown> = {};
    for (const peer of peers) {
        if (peer.spec.network === self.network) continue;
        // Only the gateways: the endpoints are WorkloadEntries that carry their network.
        networks[peer.spec.network] = { gateways: [{ address: peer.gatewayAddress, port: CROSS_NETWORK_PORT }] };
    }
    return networks;
}

/**
 * An address-less WorkloadEntry on the owner's network: the sidecar sends to that network's
 * gateway on 15443 (SNI outbound_.<port>_._.<host>). The service account makes mTLS apply,
 * without which cross-network endpoints are dropped.
 */
export function workloadEntry(svc: ExportedService, owner: ClusterSpec): Record<string, unknown> {
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "WorkloadEntry",
        metadata: { name: `${svc.name}-${owner.clusterName}`, namespace: svc.namespace, labels: { ...svc.labels } },
        spec: {
            network: owner.network,
            labels: { ...svc.labels },
            serviceAccount: svc.serviceAccount,
        },
    };
}

/**
 * ISTIO_MUTUAL (any other TLS mode drops cross-network endpoints) and outlier detection, with
 * locality load balancing off: outlier detection turns on locality failover, and the address-less
 * WorkloadEntries carry no locality, so on zoned clusters every remote gateway would rank below
 * the local pods and get traffic only when those fail.
 */
export function destinationRule(name: string, namespace: string, host: string): Record<string, unknown> {
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name, namespace },
        spec: {
            host,
            trafficPolicy: {
                tls: { mode: "ISTIO_MUTUAL" },
                outlierDetection: { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 100 },
                loadBalancer: { localityLbSetting: { enabled: false } },
            },
        },
    };
}

/** The namespace-independent name: local pods and remote WorkloadEntries, selected by labels. */
export function meshServiceEntry(svc: ExportedService): Record<string, unknown> {
    if (!svc.meshHost) throw new Error(`export ${svc.name} has no meshHost`);
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: { name: svc.meshHost.replace(/\./g, "-"), namespace: svc.namespace },
        spec: {
            hosts: [svc.meshHost],
            location: "MESH_INTERNAL",
            resolution: "STATIC",
            ports: svc.ports.map((p) => ({ number: p.port, name: p.name, protocol: p.protocol })),
            workloadSelector: { labels: { ...svc.labels } },
        },
    };
}

/** Every object federated discovery puts into `self`, as plain manifests. */
export function federationObjects(self: ClusterSpec, all: ClusterSpec[], services: ExportedService[]): Record<string, unknown>[] {
    const objects: Record<string, unknown>[] = [];
    for (const svc of services) {
        const owners = all.filter((c) => svc.clusters.includes(c.clusterName) && c.clusterName !== self.clusterName);
        const runsHere = svc.clusters.includes(self.clusterName);
        if (owners.length === 0 && !(runsHere && svc.meshHost)) continue;
        objects.push(...owners.map((owner) => workloadEntry(svc, owner)));
        objects.push(destinationRule(svc.name, svc.namespace, serviceHost(svc)));
        if (svc.meshHost) {
            // Also where the service runs: the gateway routes the mesh name to the local pods by it.
            objects.push(meshServiceEntry(svc));
            objects.push(destinationRule(`${svc.name}-mesh`, svc.namespace, svc.meshHost));
        }
    }
    return objects;
}

export interface FederatedServicesArgs {
    cluster: MeshCluster;
    clusters: ClusterSpec[];
    exports: ExportedService[];
    /** Istio's CRDs and istiod; the exports' namespaces. */
    dependsOn: pulumi.Resource[];
}

export class FederatedServices extends pulumi.ComponentResource {
    constructor(name: string, args: FederatedServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:FederatedServices", name, {}, opts);
        const objects = federationObjects(args.cluster.spec, args.clusters, args.exports);
        for (const object of objects) {
            const metadata = object.metadata as { name: string; namespace: string };
            new k8s.apiextensions.CustomResource(
                `${name}-${String(object.kind).toLowerCase()}-${metadata.namespace}-${metadata.name}`,
                object as k8s.apiextensions.CustomResourceArgs,
                inCluster(args.cluster, this, args.dependsOn),
            );
        }
        this.registerOutputs({ objects: objects.length });
    }
}
