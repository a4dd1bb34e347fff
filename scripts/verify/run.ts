// Runs the verification against a Transport: the lab's curl loop and proxy-config check, per cluster.
import { isIPv4 } from "node:net";
import { CANARY_SAMPLE_NAMESPACE, HELLOWORLD_PORT, SAMPLE_NAMESPACE } from "../../components/sample-names";
import {
    Answer,
    ClusterReport,
    PeerGateway,
    Pod,
    Transport,
    Verdict,
    callCap,
    callNeeds,
    judge,
    parseEnvoyEndpoints,
    parseHello,
    verdict,
} from "./logic";

export const helloworldCluster = (namespace: string) => `outbound|${HELLOWORLD_PORT}||helloworld.${namespace}.svc.cluster.local`;
export const HELLOWORLD_CLUSTER = helloworldCluster(SAMPLE_NAMESPACE);

export interface VerifyOptions {
    contexts: string[];
    /** A fixed number of calls per cluster; unset: call until decided, within the error bound. */
    calls?: number;
    progress?: (message: string) => void;
}

export async function verify(transport: Transport, options: VerifyOptions): Promise<Verdict> {
    const progress = options.progress ?? (() => undefined);
    const available = new Set(await transport.contexts());
    const missing = options.contexts.filter((c) => !available.has(c));
    if (missing.length > 0) {
        const reports = missing.map((context) =>
            judge(
                context,
                [],
                new Map(),
                [],
                [],
                [],
                [`kube context ${context} is missing from your kubeconfig: is the mesh up (npm run up)?`],
            ),
        );
        return verdict(reports, []);
    }

    progress("reading gateways");
    const gatewayAddresses = await Promise.all(options.contexts.map((context) => transport.gatewayAddress(context)));
    const gateways = await Promise.all(options.contexts.map((context, k) => peerGateway(transport, context, gatewayAddresses[k])));
    const namespaces: { namespace: string; clusters: NamespacePods[] }[] = [];
    for (const namespace of [SAMPLE_NAMESPACE, CANARY_SAMPLE_NAMESPACE]) {
        progress(`reading pods in ${namespace}`);
        const clusters = await Promise.all(
            options.contexts.map(async (context) => ({
                context,
                helloworld: await transport.pods(context, namespace, "app=helloworld"),
                sleep: await transport.pods(context, namespace, "app=sleep"),
            })),
        );
        if (namespace === SAMPLE_NAMESPACE || clusters.some((c) => c.helloworld.length + c.sleep.length > 0))
            namespaces.push({ namespace, clusters });
    }
    const reports: ClusterReport[] = [];
    const versions = new Set<string>();
    // Every caller of every namespace shares the false-FAIL bound.
    const callers = options.contexts.length * namespaces.length;
    for (const { namespace, clusters } of namespaces) {
        const checked = await verifyNamespace(transport, namespace, clusters, gateways, { ...options, callers }, progress);
        for (const v of checked.versions) versions.add(v);
        reports.push(...checked.reports);
    }
    return verdict(reports, [...versions].sort());
}

interface NamespacePods {
    context: string;
    helloworld: Pod[];
    sleep: Pod[];
}

const revisionsOf = (pods: Pod[]) => [...new Set(pods.map((p) => p.revision ?? "unknown"))].sort();

/** The lab's check in one sample namespace: its sleep pods call its helloworld, in every cluster. */
async function verifyNamespace(
    transport: Transport,
    namespace: string,
    clusters: NamespacePods[],
    gateways: PeerGateway[],
    options: VerifyOptions & { callers: number },
    progress: (message: string) => void,
): Promise<{ reports: ClusterReport[]; versions: string[] }> {
    const instanceCluster = new Map<string, string>();
    const versions = new Set<string>();
    for (const c of clusters) {
        for (const pod of c.helloworld) {
            instanceCluster.set(pod.name, c.context);
            if (pod.labels.version) versions.add(pod.labels.version);
        }
    }
    const allVersions = [...versions].sort();
    const needs = callNeeds(new Map(clusters.map((c) => [c.context, c.helloworld.map((p) => ({ version: p.labels.version ?? "" }))])));
    const cap = options.calls ?? callCap(needs, options.callers);

    const reports: ClusterReport[] = [];
    for (const c of clusters) {
        const peers = gateways.filter((gw) => gw.context !== c.context);
        const sleep: Pod | undefined = c.sleep.find((p) => p.ready);
        if (!sleep) {
            const why = c.sleep.length === 0 ? "there is no sleep pod" : `sleep pod ${c.sleep[0].name} is not ready`;
            reports.push({
                ...judge(c.context, [], instanceCluster, [], [], allVersions, [`${why} in ${c.context}/${namespace}`]),
                namespace,
            });
            continue;
        }
        const problems: string[] = [];
        const unready = c.helloworld.filter((p) => !p.ready).map((p) => p.name);
        if (unready.length > 0) problems.push(`helloworld pods not ready in ${c.context}: ${unready.join(", ")}`);

        progress(`${c.context}: reading the sidecar's endpoints`);
        const admin = await transport.exec(c.context, namespace, sleep.name, "istio-proxy", ["pilot-agent", "request", "GET", "clusters"]);
        const endpoints = admin.code === 0 ? parseEnvoyEndpoints(admin.stdout, helloworldCluster(namespace)) : [];
        if (admin.code !== 0) problems.push(`cannot read the sidecar of ${sleep.name}: ${admin.stderr.trim().split("\n").pop()}`);
        const localIps = c.helloworld.map((p) => p.ip).filter(Boolean);
        for (const ip of localIps) {
            if (admin.code === 0 && !endpoints.some((e) => e.address === ip))
                problems.push(`discovery: local helloworld pod ${ip} is not among the endpoints`);
        }

        const calls: (Answer | { error: string })[] = [];
        const unmet = new Set(needs);
        for (let k = 1; k <= cap && (options.calls !== undefined || unmet.size > 0); k++) {
            progress(`${c.context}: call ${k}/${options.calls ?? `at most ${cap}`}`);
            const result = await transport.exec(c.context, namespace, sleep.name, "sleep", [
                "curl",
                "-sS",
                "--max-time",
                "5",
                `helloworld.${namespace}:${HELLOWORLD_PORT}/hello`,
            ]);
            const answer = result.code === 0 ? parseHello(result.stdout) : undefined;
            calls.push(answer ?? { error: (result.stderr || result.stdout).trim().split("\n").pop() || `exit ${result.code}` });
            if (answer) {
                const landed = { version: answer.version, cluster: instanceCluster.get(answer.instance) ?? "unknown" };
                for (const need of unmet) if (need.met(landed)) unmet.delete(need);
            }
        }
        const report = judge(
            c.context,
            calls,
            instanceCluster,
            endpoints,
            peers,
            allVersions,
            problems,
            options.calls === undefined ? cap : undefined,
        );
        const notes = peers.flatMap((gw) => (gw.note ? [gw.note] : []));
        const sidecars = { sleep: revisionsOf([sleep])[0], helloworld: revisionsOf(clusters.flatMap((other) => other.helloworld)) };
        reports.push({ ...report, ...(notes.length > 0 ? { notes } : {}), namespace, sidecars });
    }
    return { reports, versions: allVersions };
}

/** A peer's gateway with the IPs to look for: a hostname is resolved as istiod resolves it. */
async function peerGateway(transport: Transport, context: string, address: string): Promise<PeerGateway> {
    if (address === "" || isIPv4(address)) return { context, address, addresses: address ? [address] : [] };
    const resolved = await transport.resolve(address).catch(() => [] as string[]);
    const note =
        resolved.length > 0
            ? `${context}'s gateway ${address} resolves to ${resolved.join(", ")} (istiod gives sidecars the IPs)`
            : `${context}'s gateway ${address} does not resolve here: any 15443 endpoint that no other peer claims counts as it`;
    return { context, address, addresses: resolved, note };
}
