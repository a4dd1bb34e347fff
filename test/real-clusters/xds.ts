// What a sidecar would get from its istiod: the lab's `istioctl proxy-config endpoints`, run as the
// proxy of a real injected pod (its node metadata from the pod's own istio-proxy container) with
// test/xds-client against that pod's revision's istiod.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { RunningIstiod, ISTIOD_PORTS } from "./istiod";
import { KwokCluster } from "./kwok";
import { MeshCase } from "./mesh-case";

export interface ProxyEndpoint {
    address: string;
    port: number;
    weight: number;
    tlsMode: string;
}

/** The node metadata pilot-agent sends for `pod`: its ISTIO_META_* environment (field references resolved) and the pod's own facts. */
export function nodeMetadata(pod: any): Record<string, unknown> {
    const proxy = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c: any) => c.name === "istio-proxy");
    if (!proxy) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} has no istio-proxy container: it was not injected`);
    const meta: Record<string, unknown> = {};
    for (const e of proxy.env ?? []) {
        if (!e.name.startsWith("ISTIO_META_")) continue;
        const value =
            e.value ??
            (e.valueFrom?.fieldRef ? e.valueFrom.fieldRef.fieldPath.split(".").reduce((o: any, k: string) => o?.[k], pod) : undefined);
        if (value !== undefined) meta[e.name.slice("ISTIO_META_".length)] = String(value);
    }
    const version = /:(\d+\.\d+\.\d+)$/.exec(proxy.image)?.[1];
    return {
        ...meta,
        NAMESPACE: pod.metadata.namespace,
        POD_NAME: pod.metadata.name,
        INSTANCE_IPS: pod.status.podIP,
        LABELS: pod.metadata.labels,
        SERVICE_ACCOUNT: pod.spec.serviceAccountName,
        ...(version ? { ISTIO_VERSION: version } : {}),
    };
}

/** The pod (first of `selector` in `namespace`) and the istiod of the revision that injected it. */
export async function proxyOf(mesh: MeshCase, cluster: KwokCluster, namespace: string, selector: string) {
    const pods = JSON.parse(await mesh.clusters.kubectl(cluster, ["get", "pods", "-n", namespace, "-l", selector, "-o", "json"]));
    const pod = pods.items.find((p: any) => p.status?.podIP && !p.metadata.deletionTimestamp);
    if (!pod) throw new Error(`${cluster.name}: no running pod ${selector} in ${namespace}`);
    // The injector records the revision that injected the pod in this annotation.
    const revision = pod.metadata.annotations?.["istio.io/rev"];
    const istiod = mesh.istiods?.of(cluster, revision)[0];
    if (!istiod) throw new Error(`${cluster.name}: no istiod of revision ${revision} runs`);
    return { pod, istiod };
}

/** The endpoints `istiod` sends the proxy of `pod` for an Envoy cluster. */
export async function endpointsFor(mesh: MeshCase, istiod: RunningIstiod, pod: any, envoyCluster: string): Promise<ProxyEndpoint[]> {
    const node = path.join(mesh.dir, `node-${pod.metadata.uid}.json`);
    writeFileSync(
        node,
        JSON.stringify({
            ip: pod.status.podIP,
            workload: pod.metadata.name,
            namespace: pod.metadata.namespace,
            metadata: nodeMetadata(pod),
        }),
    );
    const out = await mesh.net.mustRun(
        "xds-client",
        ["-xds", `${istiod.podIP}:${ISTIOD_PORTS.xds}`, "-node", node, "-cluster", envoyCluster],
        {
            timeoutMs: 120_000,
        },
    );
    return JSON.parse(out).endpoints.map((e: any) => ({ address: e.address, port: e.port, weight: e.weight, tlsMode: e.tlsMode }));
}

export const HELLOWORLD = (namespace: string) => `outbound|5000||helloworld.${namespace}.svc.cluster.local`;
