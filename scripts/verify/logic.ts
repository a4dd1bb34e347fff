// The lab's "Verify installation", as pure logic: parse what the cluster says, decide the verdict.

export interface Pod {
    name: string;
    ready: boolean;
    ip: string;
    labels: Record<string, string>;
}

/** What verify needs from the clusters; kubectl in real life, a fake in tests. */
export interface Transport {
    contexts(): Promise<string[]>;
    pods(context: string, namespace: string, selector: string): Promise<Pod[]>;
    /** The east-west gateway's external address, or "" when it has none. */
    gatewayAddress(context: string): Promise<string>;
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

export interface ClusterReport {
    context: string;
    /** Calls by answering version and cluster. */
    answers: { version: string; cluster: string; count: number }[];
    failures: string[];
    endpoints: Endpoint[];
    /** Peers whose east-west gateway is not among the endpoints: discovery broken. */
    missingGateways: { context: string; address: string }[];
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
    peerGateways: { context: string; address: string }[],
    allVersions: string[],
    problems: string[] = [],
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
    const missingGateways = peerGateways.filter(
        (gw) => !gw.address || !endpoints.some((e) => e.address === gw.address && e.port === 15443),
    );
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
    return { context, answers, failures, endpoints, missingGateways, problems: all, ok: all.length === 0 };
}

export function verdict(reports: ClusterReport[], versions: string[]): Verdict {
    return { ok: reports.length > 0 && reports.every((r) => r.ok), versions, clusters: reports };
}

/** The human-readable report: a table per calling cluster, then the verdict. */
export function formatVerdict(v: Verdict): string {
    const lines: string[] = [];
    for (const r of v.clusters) {
        lines.push(`from sleep in ${r.context}:`);
        if (r.answers.length > 0) {
            lines.push("  version  cluster      calls");
            for (const a of r.answers) lines.push(`  ${a.version.padEnd(8)} ${a.cluster.padEnd(12)} ${a.count}`);
        }
        if (r.answers.length + r.failures.length + r.endpoints.length > 0) {
            const eps = r.endpoints.map((e) => `${e.address}:${e.port}${e.healthy ? "" : " (unhealthy)"}`);
            lines.push(`  helloworld endpoints known to the sidecar: ${eps.join(", ") || "none"}`);
        }
        for (const p of r.problems) lines.push(`  ✗ ${p}`);
        if (r.ok) lines.push("  ✓ discovery complete, every version answered, traffic crossed clusters");
    }
    lines.push(v.ok ? `PASS: every cluster reached ${v.versions.join(" and ")} across the mesh` : "FAIL: see the ✗ lines above");
    return lines.join("\n");
}
