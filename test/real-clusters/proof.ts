// The lab's proof, automated: in every cluster, the sleep pod's sidecar knows helloworld's local
// pods and, for each other network, exactly one endpoint: that network's east-west gateway on
// 15443, weighted by the helloworld endpoints behind it.
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { IstiodMissing } from "./istiod";
import { KwokCluster } from "./kwok";
import { MeshCase } from "./mesh-case";
import { HELLOWORLD, ProxyEndpoint, endpointsFor, proxyOf } from "./xds";

const byAddress = (a: ProxyEndpoint, b: ProxyEndpoint) => a.address.localeCompare(b.address);

/** Ready helloworld pods of a cluster's namespace, as endpoints. */
async function helloworldPods(mesh: MeshCase, cluster: KwokCluster, namespace: string): Promise<string[]> {
    const pods = JSON.parse(await mesh.clusters.kubectl(cluster, ["get", "pods", "-n", namespace, "-l", "app=helloworld", "-o", "json"]));
    return pods.items.filter((p: any) => p.status?.podIP && !p.metadata.deletionTimestamp).map((p: any) => p.status.podIP);
}

/** What the sleep proxy of `cluster` should be told, given the pods that run in `members`. */
export async function expectedEndpoints(
    mesh: MeshCase,
    cluster: KwokCluster,
    namespace: string,
    members: KwokCluster[],
): Promise<ProxyEndpoint[]> {
    const local = (await helloworldPods(mesh, cluster, namespace)).map((address) => ({ address, port: 5000, weight: 1, tlsMode: "istio" }));
    const remote: ProxyEndpoint[] = [];
    for (const peer of members.filter((m) => m !== cluster)) {
        const behind = (await helloworldPods(mesh, peer, namespace)).length;
        if (behind > 0) remote.push({ address: peer.gatewayAddress, port: 15443, weight: behind, tlsMode: "istio" });
    }
    return [...local, ...remote].sort(byAddress);
}

export interface ProofTiming {
    cluster: string;
    /** ms until that cluster's istiod told the proxy everything. */
    ms: number;
}

/**
 * In every member cluster, asks its istiod (the revision that injected sleep in `namespace`) for
 * helloworld's endpoints until they are what the lab shows, or fails after `timeoutMs` with the
 * last answer and the expected one. Both sides are read again each round (a pod that becomes
 * ready changes what is expected), and a failed ask is tried again until the deadline: on a busy
 * machine a kubectl or xDS call can fail once without the mesh being wrong.
 */
export async function assertLabProof(
    mesh: MeshCase,
    options: { namespace?: string; members?: KwokCluster[]; timeoutMs?: number } = {},
): Promise<ProofTiming[]> {
    const namespace = options.namespace ?? "sample";
    const members = options.members ?? mesh.clusters.clusters;
    const started = Date.now();
    const deadline = started + (options.timeoutMs ?? 90_000);
    return Promise.all(
        members.map(async (cluster) => {
            let last: { got: ProxyEndpoint[]; expected: ProxyEndpoint[] } | undefined;
            let failure: unknown;
            for (;;) {
                try {
                    const expected = await expectedEndpoints(mesh, cluster, namespace, members);
                    const { pod, istiod } = await proxyOf(mesh, cluster, namespace, "app=sleep");
                    const got = (await endpointsFor(mesh, istiod, pod, HELLOWORLD(namespace))).sort(byAddress);
                    if (isDeepStrictEqual(got, expected)) return { cluster: cluster.name, ms: Date.now() - started };
                    last = { got, expected };
                    failure = undefined;
                } catch (error) {
                    if (error instanceof IstiodMissing) throw error;
                    failure = error;
                }
                if (Date.now() > deadline) break;
                await new Promise((resolve) => setTimeout(resolve, 2000));
            }
            if (last === undefined) throw failure;
            assert.deepEqual(last.got, last.expected, `${cluster.name} (${namespace}): the endpoints its istiod sends the sleep proxy`);
            throw new Error("unreachable: the last answer differed from what was expected");
        }),
    );
}

/**
 * Asks every member cluster's istiod for helloworld's endpoints again and again (one round a second)
 * until `stop`, and records every answer that is not what the lab shows: for proving that nothing a
 * proxy is told changes while something else happens (an update that moves the stack, say).
 */
export async function watchLabProof(mesh: MeshCase, options: { namespace?: string; members?: KwokCluster[] } = {}) {
    const namespace = options.namespace ?? "sample";
    const members = options.members ?? mesh.clusters.clusters;
    const expected = new Map<KwokCluster, string>();
    for (const cluster of members) expected.set(cluster, JSON.stringify(await expectedEndpoints(mesh, cluster, namespace, members)));
    const misses: string[] = [];
    let rounds = 0;
    let stopped = false;
    const loop = (async () => {
        while (!stopped) {
            await Promise.all(
                members.map(async (cluster) => {
                    try {
                        const { pod, istiod } = await proxyOf(mesh, cluster, namespace, "app=sleep");
                        const got = JSON.stringify((await endpointsFor(mesh, istiod, pod, HELLOWORLD(namespace))).sort(byAddress));
                        if (got !== expected.get(cluster)) misses.push(`${new Date().toISOString()} ${cluster.name}: ${got}`);
                    } catch (error) {
                        misses.push(
                            `${new Date().toISOString()} ${cluster.name}: ${error instanceof Error ? error.message : String(error)}`,
                        );
                    }
                }),
            );
            rounds++;
            await new Promise((resolve) => setTimeout(resolve, 1000));
        }
    })();
    return {
        async stop(): Promise<{ rounds: number; misses: string[] }> {
            stopped = true;
            await loop;
            return { rounds, misses };
        },
    };
}
