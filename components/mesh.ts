// The mesh, wired: config -> clusters -> (PKI, load balancers) -> control planes ->
// discovery between clusters -> sample apps. Only discovery looks at two clusters at once; every
// cluster runs the same istiod revisions (components/revisions.ts).
import * as pulumi from "@pulumi/pulumi";
import { MeshCluster } from "./cluster";
import { ExportedService, MeshConfig } from "./config";
import { ExistingCluster } from "./existing/existing-cluster";
import { GoneClusters } from "./existing/gone";
import { FederatedServices, exportedHosts, meshNetworks } from "./federation";
import { meshImages } from "./images";
import { ISTIO_NAMESPACE, IstioControlPlane } from "./istio";
import { ImagePreload } from "./kind/image-preload";
import { KindCluster } from "./kind/kind-cluster";
import { MetalLb } from "./load-balancer";
import { MeshPki } from "./mesh-pki";
import { remoteSecretName, tokenSecretName } from "../scripts/discovery.cjs";
import { EndpointDiscovery } from "./endpoint-discovery";
import { LegacyRemoteAccess } from "./legacy/remote-access-pairs";
import { RevisionPlan, planForConfig } from "./revisions";
import { SampleApps } from "./sample-apps";
import { CANARY_SAMPLE_NAMESPACE, HELLOWORLD_PORT, SAMPLE_NAMESPACE } from "./sample-names";

export interface Mesh {
    clusters: MeshCluster[];
    controlPlanes: IstioControlPlane[];
    pki: MeshPki;
    sampleApps: SampleApps[];
    /** The samples injected by the canary tag, while a canary runs. */
    canarySampleApps: SampleApps[];
    /** The planned revisions, known only once every cluster's releases and tag webhooks exist. */
    revisionsInPlace: pulumi.Output<RevisionPlan["revisions"]>;
}

/** Clusters made by kind, each with the shared images loaded before anything runs in it. */
function kindClusters(config: MeshConfig, revisions: RevisionPlan): MeshCluster[] {
    const clusters = config.clusters.map((spec) => new KindCluster(spec.context, { spec, nodeImage: config.kindNodeImage }));
    if (config.preloadImages) {
        const preload = new ImagePreload("images", meshImages(config, revisions));
        for (const cluster of clusters) cluster.addReady(preload.loadInto(cluster));
    }
    return clusters;
}

function existingClusters(config: MeshConfig): MeshCluster[] {
    return config.clusters.map((spec) => new ExistingCluster(spec.clusterName, spec));
}

/** The sample app exported in federated mode: helloworld, from every cluster that runs it (and its canary copy). */
export function sampleExports(config: MeshConfig, revisions: RevisionPlan): ExportedService[] {
    if (!config.sampleApps) return [];
    const helloworld = (namespace: string): ExportedService => ({
        name: "helloworld",
        namespace,
        ports: [{ name: "http", port: HELLOWORLD_PORT, protocol: "HTTP" }],
        serviceAccount: "helloworld",
        clusters: config.clusters.map((c) => c.clusterName),
        labels: { app: "helloworld" },
    });
    return [
        { ...helloworld(SAMPLE_NAMESPACE), meshHost: "helloworld.mesh.internal" },
        ...(revisions.canaryRevision ? [helloworld(CANARY_SAMPLE_NAMESPACE)] : []),
    ];
}

export interface BuildOptions {
    /**
     * The stack was last updated by a release that kept endpoint discovery as resources per pair:
     * declare those once more, to be forgotten by the next update (components/legacy/remote-access-pairs.ts).
     */
    legacyPairs?: boolean;
    /** Endpoint discovery's count of repairs (components/endpoint-discovery.ts, discoveryRepairs). */
    discoveryRepairs?: number;
}

/** `revisions` defaults to a fresh stack's: istioVersion (and istioCanary) only. */
export function buildMesh(config: MeshConfig, revisions = planForConfig(config), options: BuildOptions = {}): Mesh {
    const clusters = config.provisioner === "kind" ? kindClusters(config, revisions) : existingClusters(config);
    const gone = new GoneClusters(clusters);
    const pki = new MeshPki("mesh-pki", { clusterNames: config.clusters.map((c) => c.clusterName), pki: config.pki });
    const federated = config.discovery === "federated";
    const exportedServices = federated ? [...sampleExports(config, revisions), ...config.exports] : [];

    // Federated: each istiod learns the other networks' gateways from the program. Every address is
    // known up front (config validation requires one for platform load balancers), so no istiod
    // waits for another cluster's gateway.
    const gatewayAddresses = federated
        ? clusters.map((c) => {
              if (!c.loadBalancer.gatewayAddress) throw new Error(`${c.spec.clusterName}: no known east-west gateway address`);
              return c.loadBalancer.gatewayAddress;
          })
        : [];

    const controlPlanes = clusters.map((cluster) => {
        const { clusterName } = cluster.spec;
        const loadBalancerReady =
            cluster.loadBalancer.type === "metallb"
                ? new MetalLb(
                      `${clusterName}-metallb`,
                      {
                          cluster,
                          version: config.metallbVersion,
                          chartRepo: config.metallbChartRepo,
                          range: cluster.loadBalancer.range,
                          announceFromExcludedNodes: cluster.loadBalancer.announceFromExcludedNodes,
                          timeoutSeconds: config.helmTimeoutSeconds,
                      },
                      gone.options,
                  ).ready
                : [];
        return new IstioControlPlane(
            `${clusterName}-istio`,
            {
                cluster,
                meshId: config.meshId,
                revisions,
                hub: config.istioHub,
                chartRepo: config.istioChartRepo,
                ca: pki.clusters[clusterName],
                loadBalancerReady,
                timeoutSeconds: config.helmTimeoutSeconds,
                ...(federated
                    ? {
                          gatewayHosts: exportedHosts(clusterName, exportedServices),
                          meshNetworks: pulumi.all(gatewayAddresses).apply((addresses) =>
                              meshNetworks(
                                  cluster.spec,
                                  clusters.map((c, k) => ({ spec: c.spec, gatewayAddress: addresses[k] })),
                              ),
                          ),
                          dnsCapture: exportedServices.some((svc) => svc.meshHost !== undefined),
                      }
                    : {}),
            },
            gone.options,
        );
    });

    const samples = (tag: "default" | "canary", revision: string | undefined, suffix: string) =>
        config.sampleApps && revision
            ? clusters.map(
                  (cluster, k) =>
                      new SampleApps(
                          `${cluster.spec.clusterName}-samples${suffix}`,
                          {
                              cluster,
                              clusterCount: clusters.length,
                              registry: config.sampleRegistry,
                              tag,
                              revision,
                              injectorReady: controlPlanes[k].injectors[tag]!,
                          },
                          gone.options,
                      ),
              )
            : [];
    const sampleApps = samples("default", revisions.defaultRevision, "");
    const canarySampleApps = samples("canary", revisions.canaryRevision, "-canary");

    if (federated) {
        clusters.forEach((cluster, k) => {
            new FederatedServices(
                `${cluster.spec.clusterName}-federation`,
                {
                    cluster,
                    clusters: config.clusters,
                    exports: exportedServices,
                    dependsOn: [
                        controlPlanes[k].istiod,
                        ...[sampleApps[k], canarySampleApps[k]].filter((apps) => apps !== undefined).map((apps) => apps.namespace),
                    ],
                },
                gone.options,
            );
        });
    } else {
        // Endpoint discovery: one command keeps every ordered pair's reader token and remote secret.
        if (clusters.length > 1) {
            for (const cluster of clusters.filter((c) => c.spec.gone)) {
                const peers = clusters.filter((c) => c !== cluster).map((c) => c.spec.clusterName);
                gone.leave(cluster, [
                    ...peers.map((peer) => `Secret ${ISTIO_NAMESPACE}/${tokenSecretName(peer)}`),
                    ...peers.map((peer) => `Secret ${ISTIO_NAMESPACE}/${remoteSecretName(peer)}`),
                ]);
            }
            new EndpointDiscovery(
                "endpoint-discovery",
                {
                    members: clusters.map((cluster, k) => ({
                        cluster,
                        namespace: controlPlanes[k].namespace,
                        base: controlPlanes[k].base,
                        istiod: controlPlanes[k].istiod,
                    })),
                    timeoutSeconds: config.helmTimeoutSeconds,
                    repairs: options.discoveryRepairs ?? 0,
                },
                gone.options,
            );
        }
        if (options.legacyPairs) {
            clusters.forEach((consumer, i) =>
                clusters.forEach((remote, j) => {
                    if (i === j) return;
                    new LegacyRemoteAccess(
                        `${consumer.spec.clusterName}-reads-${remote.spec.clusterName}`,
                        {
                            consumer,
                            remote,
                            consumerNamespace: controlPlanes[i].namespace,
                            remoteBase: controlPlanes[j].base,
                            remoteIstiod: controlPlanes[j].istiod,
                            timeoutSeconds: config.helmTimeoutSeconds,
                        },
                        gone.options,
                    );
                }),
            );
        }
    }

    gone.report();
    const revisionsInPlace = pulumi
        .all(controlPlanes.flatMap((cp) => cp.revisionResources.map((r) => r.id)))
        .apply(() => revisions.revisions);
    return { clusters, controlPlanes, pki, sampleApps, canarySampleApps, revisionsInPlace };
}
