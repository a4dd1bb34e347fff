// The lab's "Verify installation", as pure logic: parse what the cluster says, decide the verdict.

export interface Pod {
    name: string;
    ready: boolean;
    ip: string;
    labels: Record<string, string>;
    /** The revision whose injector gave it its sidecar (the injector's `istio.io/rev` annotation), if injected. */
    revision?: string;
}

/** What verify needs from the clusters; kubectl in real life, a fake in tests. */
export interface Transport {
    contexts(): Promise<string[]>;
    pods(context: string, namespace: string, selector: string): Promise<Pod[]>;
    /** The east-west gateway's external address (an IP or a hostname), or "" when it has none. */
    gatewayAddress(context: string): Promise<string>;
    /** The IPv4 addresses a gateway hostname resolves to (istiod resolves them the same way); [] if none. */
    resolve(host: string): Promise<string[]>;
    exec(
        context: string,
        namespace: string,
        pod: string,
        container: string,
        command: string[],
    ): Promise<{ code: number; stdout: string; stderr: string }>;
}

export interface Answer {
    version: string;
    instance: string;
}

/** "Hello version: v1, instance: helloworld-v1-6b8c9d-x2x" */
export function parseHello(body: string): Answer | undefined {
    const match = /Hello version: (\S+), instance: (\S+)/.exec(body);
    return match ? { version: match[1], instance: match[2] } : undefined;
}

export interface Endpoint {
    address: string;
    port: number;
    healthy: boolean;
}

/**
 * Endpoints of one Envoy cluster from the admin /clusters text output, lines like
 * `outbound|5000||helloworld.sample.svc.cluster.local::10.101.0.7:5000::health_flags::healthy`.
 */
export function parseEnvoyEndpoints(clustersText: string, envoyCluster: string): Endpoint[] {
    const endpoints: Endpoint[] = [];
    for (const line of clustersText.split("\n")) {
        if (!line.startsWith(`${envoyCluster}::`)) continue;
        const [, hostPort, stat, value] = line.trim().split("::");
        if (stat !== "health_flags") continue;
        const colon = hostPort.lastIndexOf(":");
        endpoints.push({ address: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)), healthy: value === "healthy" });
    }
    return endpoints;
}

/** A healthy mesh fails verify by chance with at most this probability. */
export const FALSE_FAIL_BOUND = 0.001;

/** Something a calling cluster must see at least once, and its probability per call. */
export interface Need {
    what: string;
    p: number;
    met: (answer: { version: string; cluster: string }) => boolean;
}

/**
 * What a calling cluster must see: an answer from every cluster that runs helloworld (so traffic
 * crossed clusters and no peer is silent) and from every version. Istio gives each remote network
 * one gateway endpoint weighted by its endpoints (EndpointsByNetworkFilter), so a call lands in
 * cluster j with probability (helloworld pods in j) / (all helloworld pods).
 */
export function callNeeds(podsByCluster: Map<string, { version: string }[]>): Need[] {
    const total = [...podsByCluster.values()].reduce((n, pods) => n + pods.length, 0);
    if (total === 0) return [];
    const needs: Need[] = [];
    for (const [cluster, pods] of podsByCluster) {
        if (pods.length > 0) needs.push({ what: `an answer from ${cluster}`, p: pods.length / total, met: (a) => a.cluster === cluster });
    }
    const versions = [...new Set([...podsByCluster.values()].flat().map((p) => p.version))].sort();
    for (const version of versions) {
        const p = [...podsByCluster.values()].flat().filter((pod) => pod.version === version).length / total;
        needs.push({ what: `an answer from ${version}`, p, met: (a) => a.version === version });
    }
    return needs;
}

/**
 * Calls after which a healthy mesh has met every need of every calling cluster except with
 * probability `bound`: by the union bound over N callers and E needs, N * E * (1 - pMin)^K <= bound.
 */
export function callCap(needs: Need[], callers: number, bound = FALSE_FAIL_BOUND): number {
    const pMin = Math.min(...needs.map((n) => n.p));
    if (needs.length === 0 || pMin >= 1) return 1;
    return Math.ceil(Math.log(bound / (callers * needs.length)) / Math.log(1 - pMin));
}

export interface ClusterReport {
    context: string;
    /** The sample namespace checked (sample, or sample-canary during a canary upgrade). */
    namespace?: string;
    /** The revisions of the sidecars (the pods' istio.io/rev annotation): the caller's, and of every helloworld pod. */
    sidecars?: { sleep: string; helloworld: string[] };
    /** Calls made, and the cap when verify decided when to stop (not with --calls). */
    calls: { made: number; cap?: number };
    /** Calls by answering version and cluster. */
    answers: { version: string; cluster: string; count: number }[];
    failures: string[];
    endpoints: Endpoint[];
    /** Peers whose east-west gateway is not among the endpoints: discovery broken. */
    missingGateways: { context: string; address: string }[];
    /** How hostname gateways were matched. */
    notes?: string[];
    problems: string[];
    ok: boolean;
}

export interface Verdict {
    ok: boolean;
    versions: string[];
    clusters: ClusterReport[];
}

/** Decides per calling cluster: discovery complete, and every version reached from it. */
export function judge(
    context: string,
    calls: (Answer | { error: string })[],
    instanceCluster: Map<string, string>,
    endpoints: Endpoint[],
    peerGateways: PeerGateway[],
    allVersions: string[],
    problems: string[] = [],
    cap?: number,
): ClusterReport {
    const counts = new Map<string, { version: string; cluster: string; count: number }>();
    const failures: string[] = [];
    for (const call of calls) {
        if ("error" in call) {
            failures.push(call.error);
            continue;
        }
        const cluster = instanceCluster.get(call.instance) ?? "unknown";
        const key = `${call.version}@${cluster}`;
        const entry = counts.get(key) ?? { version: call.version, cluster, count: 0 };
        entry.count++;
        counts.set(key, entry);
    }
    const answers = [...counts.values()].sort((a, b) => a.version.localeCompare(b.version) || a.cluster.localeCompare(b.cluster));
    const gatewayEndpoints = endpoints.filter((e) => e.port === 15443).map((e) => e.address);
    const claimed = new Set(peerGateways.flatMap((gw) => gw.addresses));
    // A hostname that does not resolve here: any 15443 endpoint that no other peer claims is its.
    let unclaimed = gatewayEndpoints.filter((a) => !claimed.has(a)).length;
    const missingGateways: { context: string; address: string }[] = [];
    for (const gw of peerGateways) {
        const found =
            gw.addresses.length > 0 ? gw.addresses.some((a) => gatewayEndpoints.includes(a)) : gw.address !== "" && unclaimed-- > 0;
        if (!found) missingGateways.push({ context: gw.context, address: gw.address });
    }
    const all = [...problems];
    for (const gw of missingGateways) {
        all.push(
            gw.address
                ? `discovery: no endpoint for ${gw.context}'s east-west gateway ${gw.address}:15443 (the control plane does not know that cluster's endpoints)`
                : `discovery: ${gw.context}'s east-west gateway has no external address (LoadBalancer pending?)`,
        );
    }
    const reached = new Set(answers.map((a) => a.version));
    const unreached = allVersions.filter((v) => !reached.has(v));
    if (unreached.length > 0 && calls.length > 0) all.push(`traffic: never answered by ${unreached.join(", ")}`);
    if (failures.length > 0) all.push(`traffic: ${failures.length} of ${calls.length} calls failed (${failures[0]})`);
    if (calls.length > 0 && !answers.some((a) => a.cluster !== context && a.cluster !== "unknown")) {
        all.push("traffic: no answer came from another cluster");
    }
    return {
        context,
        calls: { made: calls.length, ...(cap ? { cap } : {}) },
        answers,
        failures,
        endpoints,
        missingGateways,
        problems: all,
        ok: all.length === 0,
    };
}

/** A peer's east-west gateway as verify looks for it among the sidecar's endpoints. */
export interface PeerGateway {
    context: string;
    /** As the Service reports it: an IP or a hostname ("" when pending). */
    address: string;
    /** The IPs to look for: the address itself, or what the hostname resolves to ([] if it does not). */
    addresses: string[];
    /** How a hostname was matched, for the report. */
    note?: string;
}

export function verdict(reports: ClusterReport[], versions: string[]): Verdict {
    return { ok: reports.length > 0 && reports.every((r) => r.ok), versions, clusters: reports };
}

/** The human-readable report: a table per calling cluster, then the verdict. */
export function formatVerdict(v: Verdict): string {
    const lines: string[] = [];
    for (const r of v.clusters) {
        const where = r.namespace ? ` (namespace ${r.namespace}${r.sidecars ? `, sidecar revision ${r.sidecars.sleep}` : ""})` : "";
        lines.push(`from sleep in ${r.context}${where}:`);
        if (r.answers.length > 0) {
            lines.push("  version  cluster      calls");
            for (const a of r.answers) lines.push(`  ${a.version.padEnd(8)} ${a.cluster.padEnd(12)} ${a.count}`);
        }
        if (r.answers.length + r.failures.length + r.endpoints.length > 0) {
            const eps = r.endpoints.map((e) => `${e.address}:${e.port}${e.healthy ? "" : " (unhealthy)"}`);
            lines.push(`  helloworld endpoints known to the sidecar: ${eps.join(", ") || "none"}`);
        }
        if (r.calls.cap) {
            lines.push(
                `  calls: ${r.calls.made}, stopping once every cluster and version answered; at most ${r.calls.cap}, ` +
                    `so a healthy mesh fails by chance with probability < ${FALSE_FAIL_BOUND * 100}%`,
            );
        }
        if (r.sidecars) lines.push(`  helloworld sidecar revisions: ${r.sidecars.helloworld.join(", ")}`);
        for (const note of r.notes ?? []) lines.push(`  ${note}`);
        for (const p of r.problems) lines.push(`  ✗ ${p}`);
        if (r.ok) lines.push("  ✓ discovery complete, every version answered, traffic crossed clusters");
    }
    lines.push(v.ok ? `PASS: every cluster reached ${v.versions.join(" and ")} across the mesh` : "FAIL: see the ✗ lines above");
    return lines.join("\n");
}
