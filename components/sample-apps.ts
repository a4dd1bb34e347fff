// The lab's sample applications: helloworld (v1/v2) and a sleep client, in namespace `sample`
// (injected by the default tag), and during a canary upgrade the same in `sample-canary` (tag canary).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshCluster, inCluster } from "./cluster";
import { CANARY_SAMPLE_NAMESPACE, HELLOWORLD_PORT, SAMPLE_NAMESPACE } from "./sample-names";

/** The revision that injected a pod template; a new value restarts the pods onto another revision. */
export const REVISION_ANNOTATION = "istio-multicluster/revision";

/** The namespace label that selects a tag's injector. */
export function injectionLabels(tag: "default" | "canary"): Record<string, string> {
    return tag === "default" ? { "istio-injection": "enabled" } : { "istio.io/rev": "canary" };
}

export function sampleImages(registry: string) {
    return {
        helloworld: (version: string) => `${registry}/istio/examples-helloworld-${version}:1.0`,
        curl: `${registry}/curlimages/curl:8.16.0`,
    };
}

/**
 * Which helloworld versions cluster `index` (1-based) of `count` runs: v2 in the last
 * cluster, v1 in all others (the lab's layout for 3); a lone cluster runs both.
 */
export function helloworldVersions(index: number, count: number): string[] {
    if (count === 1) return ["v1", "v2"];
    return index === count ? ["v2"] : ["v1"];
}

export interface SampleAppsArgs {
    cluster: MeshCluster;
    clusterCount: number;
    registry: string;
    /** Which tag injects the namespace's pods. */
    tag: "default" | "canary";
    /** The revision the tag points to (pods restart when it changes). */
    revision: string;
    /** The tag's istiod and webhook: pods must be created after the injector is up. */
    injectorReady: pulumi.Resource[];
}

const smallResources = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } };

export class SampleApps extends pulumi.ComponentResource {
    public readonly versions: string[];
    public readonly namespace: k8s.core.v1.Namespace;

    constructor(name: string, args: SampleAppsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:SampleApps", name, {}, opts);
        const { cluster } = args;
        const images = sampleImages(args.registry);
        const namespaceName = args.tag === "default" ? SAMPLE_NAMESPACE : CANARY_SAMPLE_NAMESPACE;
        const metadata = (resourceName: string, labels: Record<string, string>) => ({
            name: resourceName,
            namespace: namespaceName,
            labels,
        });
        const podMetadata = (labels: Record<string, string>) => ({ labels, annotations: { [REVISION_ANNOTATION]: args.revision } });

        const namespace = (this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: namespaceName, labels: injectionLabels(args.tag) } },
            inCluster(cluster, this),
        ));
        // Pods come after the injector, or they start without a sidecar.
        const podOpts = inCluster(cluster, this, [namespace, ...args.injectorReady]);

        new k8s.core.v1.Service(
            `${name}-helloworld-service`,
            {
                metadata: metadata("helloworld", { app: "helloworld", service: "helloworld" }),
                spec: { selector: { app: "helloworld" }, ports: [{ name: "http", port: HELLOWORLD_PORT }] },
            },
            inCluster(cluster, this, [namespace]),
        );
        new k8s.core.v1.ServiceAccount(
            `${name}-helloworld-sa`,
            { metadata: metadata("helloworld", { app: "helloworld" }) },
            inCluster(cluster, this, [namespace]),
        );

        this.versions = helloworldVersions(cluster.spec.index, args.clusterCount);
        for (const version of this.versions) {
            const labels = { app: "helloworld", version };
            new k8s.apps.v1.Deployment(
                `${name}-helloworld-${version}`,
                {
                    metadata: metadata(`helloworld-${version}`, labels),
                    spec: {
                        replicas: 1,
                        selector: { matchLabels: labels },
                        template: {
                            metadata: podMetadata(labels),
                            spec: {
                                serviceAccountName: "helloworld",
                                containers: [
                                    {
                                        name: "helloworld",
                                        image: images.helloworld(version),
                                        imagePullPolicy: "IfNotPresent",
                                        ports: [{ containerPort: HELLOWORLD_PORT }],
                                        resources: smallResources,
                                        readinessProbe: { tcpSocket: { port: HELLOWORLD_PORT }, periodSeconds: 2 },
                                    },
                                ],
                            },
                        },
                    },
                },
                podOpts,
            );
        }

        const sleepLabels = { app: "sleep" };
        new k8s.core.v1.ServiceAccount(
            `${name}-sleep-sa`,
            { metadata: metadata("sleep", sleepLabels) },
            inCluster(cluster, this, [namespace]),
        );
        new k8s.core.v1.Service(
            `${name}-sleep-service`,
            {
                metadata: metadata("sleep", { ...sleepLabels, service: "sleep" }),
                spec: { selector: sleepLabels, ports: [{ name: "http", port: 80 }] },
            },
            inCluster(cluster, this, [namespace]),
        );
        new k8s.apps.v1.Deployment(
            `${name}-sleep`,
            {
                metadata: metadata("sleep", sleepLabels),
                spec: {
                    replicas: 1,
                    selector: { matchLabels: sleepLabels },
                    template: {
                        metadata: podMetadata(sleepLabels),
                        spec: {
                            serviceAccountName: "sleep",
                            terminationGracePeriodSeconds: 0,
                            containers: [
                                {
                                    name: "sleep",
                                    image: images.curl,
                                    imagePullPolicy: "IfNotPresent",
                                    command: ["/bin/sleep", "infinity"],
                                    resources: smallResources,
                                },
                            ],
                        },
                    },
                },
            },
            podOpts,
        );
        this.registerOutputs({ versions: this.versions, namespace: namespaceName, revision: args.revision });
    }
}
