// Real istiods for the real-clusters tier: no container can run here, so for every istiod pod the
// program's release makes, one `pilot-discovery` process (Istio's control plane, built from the
// module the charts come from) is started from what the program deployed: the pod's own arguments
// and environment (field references resolved against the pod), `cacerts` read from the cluster,
// and the istiod ServiceAccount's own tokens (TokenRequest), so that its RBAC is the chart's, not an
// admin's. It reads its mesh config and injection templates from the revision's ConfigMaps itself,
// like in a pod. Every listener is on the pod's address, which the test network carries: the API
// server calls its webhooks there, and proxies (test/xds-client) reach it there.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { KwokCluster, KwokClusters } from "./kwok";
import { Daemon, TestNetwork } from "./netns";

export const ISTIOD_PORTS = { http: 8080, webhooks: 15017, xds: 15010, secureXds: 15012, monitoring: 15014, ctrlz: 9876 };

/** An istiod the fleet could not start, or one that ended: not a passing state worth asking again. */
export class IstiodMissing extends Error {}

export interface RunningIstiod {
    cluster: KwokCluster;
    revision: string;
    pod: string;
    podIP: string;
    /** When the process started (ms since the epoch). */
    startedAt: number;
    log: string;
    process: Daemon;
    /** Set when the process ended without being stopped by the fleet. */
    exited?: boolean;
}

/** A field reference of a container's environment, resolved as the kubelet does for `pod`. */
function fieldRef(pod: any, path: string): string {
    const value = path.split(".").reduce((object: any, key) => object?.[key], pod);
    if (value === undefined) throw new Error(`field ${path} of pod ${pod.metadata.name} is not set`);
    return String(value);
}

/** resourceFieldRef: the container's limit, or the node's allocatable when it has none (as the kubelet does). */
function resourceRef(container: any, node: any, ref: { resource: string; divisor?: string }): string {
    const [kind, name] = ref.resource.split(".");
    const value = container.resources?.[kind]?.[name] ?? node.status.allocatable[name];
    if (name !== "cpu") return String(value);
    const cores = String(value).endsWith("m") ? Number(String(value).slice(0, -1)) / 1000 : Number(value);
    return String(Math.max(1, Math.ceil(cores / Number(ref.divisor ?? 1))));
}

/** One cluster's istiod pods as its watch reports them. */
interface Watch {
    stop(): Promise<void>;
    /** uid -> the pod's name and address, for pods that have an address and are not being deleted. */
    pods: Map<string, { name: string; ip: string }>;
    /** The watch reported something since the last reconcile. */
    changed: boolean;
    /** When it started: its first lines are the pods that exist, and only after them is a missing pod gone. */
    startedAt: number;
    /** When its kubectl ended, if it did. */
    endedAt?: number;
}

/** What the watch prints per event: type, uid, name, address, deletion time. */
const WATCH_LINE =
    '{.type}{" "}{.object.metadata.uid}{" "}{.object.metadata.name}{" "}{.object.status.podIP}{" "}{.object.metadata.deletionTimestamp}{"\\n"}';

export class IstiodFleet {
    public readonly running = new Map<string, RunningIstiod>();
    private stopped = false;
    private loop?: Promise<void>;
    /** Errors met while starting an istiod, once each: the tier fails on them rather than wait for a timeout. */
    public readonly errors = new Set<string>();

    constructor(
        private readonly net: TestNetwork,
        private readonly clusters: KwokClusters,
        private readonly dir: string,
    ) {}

    /** Per cluster: a kubectl watch of its istiod pods. */
    private readonly watches = new Map<KwokCluster, Watch>();

    /**
     * Watches every cluster of the set (one `kubectl get --watch` each, as a kubelet is told of its
     * pods), starting and stopping istiods as their pods come and go.
     */
    start(): void {
        this.loop = (async () => {
            while (!this.stopped) {
                await Promise.all(
                    this.clusters.clusters.map(async (cluster) => {
                        let watch = this.watches.get(cluster);
                        // A watch that ended (its API server away) is made again, at most every 5 s.
                        if (!watch || (watch.endedAt !== undefined && Date.now() - watch.endedAt > 5000)) watch = this.watch(cluster);
                        if (!watch.changed || Date.now() - watch.startedAt < 3000) return;
                        watch.changed = false;
                        await this.reconcile(cluster, watch).catch((e) => this.errors.add(`${cluster.name}: ${e}`));
                    }),
                );
                await new Promise((resolve) => setTimeout(resolve, 500));
            }
        })();
    }

    private watch(cluster: KwokCluster): Watch {
        const args = [
            "get",
            "pods",
            "-n",
            "istio-system",
            "-l",
            "app=istiod",
            "--watch",
            "--output-watch-events",
            "-o",
            `jsonpath=${WATCH_LINE}`,
        ];
        const watch: Watch = { stop: async () => undefined, pods: new Map(), changed: true, startedAt: Date.now() };
        const stream = this.clusters.kubectlStream(
            cluster,
            args,
            (line) => {
                const [type, uid, name, ip, deleting] = line.trim().split(" ");
                if (type === "DELETED" || !ip || deleting) watch.pods.delete(uid);
                else watch.pods.set(uid, { name, ip });
                watch.changed = true;
            },
            () => (watch.endedAt = Date.now()),
        );
        watch.stop = () => stream.stop();
        this.watches.set(cluster, watch);
        return watch;
    }

    private async reconcile(cluster: KwokCluster, watch: Watch): Promise<void> {
        for (const [uid, istiod] of this.running) {
            if (istiod.cluster === cluster && !watch.pods.has(uid)) await this.kill(uid);
        }
        for (const [uid, { name }] of watch.pods) {
            if (this.running.has(uid)) continue;
            // Gone since the watch saw it (a rollout): nothing to start, and no error. A read that
            // fails (its API server away for a moment, or stopped by the test) is tried next round;
            // only a failed start counts among `errors`.
            const args = ["get", "pod", name, "-n", "istio-system", "--ignore-not-found", "-o", "json"];
            const found = await this.clusters.kubectl(cluster, args).catch(() => undefined);
            if (found === undefined) {
                watch.changed = true;
                return;
            }
            if (!found.trim()) continue;
            const pod = JSON.parse(found);
            if (pod.metadata.uid === uid && pod.status?.podIP && !pod.metadata.deletionTimestamp) await this.launch(cluster, pod);
        }
    }

    private async launch(cluster: KwokCluster, pod: any): Promise<void> {
        const container = pod.spec.containers.find((c: any) => c.name === "discovery");
        const node = JSON.parse(await this.clusters.kubectl(cluster, ["get", "node", pod.spec.nodeName, "-o", "json"]));
        const ip: string = pod.status.podIP;
        const work = path.join(this.dir, `${cluster.name}-${pod.metadata.name}`);
        // What the pod's volumes would hold, at the relative paths istiod reads (its working folder stands for /).
        const cacerts = JSON.parse(await this.clusters.kubectl(cluster, ["get", "secret", "cacerts", "-n", "istio-system", "-o", "json"]));
        mkdirSync(path.join(work, "etc", "cacerts"), { recursive: true });
        for (const [file, data] of Object.entries<string>(cacerts.data)) {
            writeFileSync(path.join(work, "etc", "cacerts", file), Buffer.from(data, "base64"), { mode: 0o600 });
        }
        const account = pod.spec.serviceAccountName;
        const token = (audience?: string) =>
            this.clusters.kubectl(cluster, [
                "create",
                "token",
                account,
                "-n",
                "istio-system",
                "--duration=24h",
                ...(audience ? [`--audience=${audience}`] : []),
            ]);
        mkdirSync(path.join(work, "var", "run", "secrets", "tokens"), { recursive: true });
        writeFileSync(path.join(work, "var", "run", "secrets", "tokens", "istio-token"), (await token("istio-ca")).trim(), { mode: 0o600 });
        // The in-cluster credentials of its ServiceAccount, as a kubeconfig.
        const admin = parse(readFileSync(this.clusters.kubeconfig, "utf8"));
        const ca = admin.clusters.find((c: any) => c.name === cluster.name).cluster["certificate-authority-data"];
        const kubeconfig = path.join(work, "kubeconfig");
        writeFileSync(
            kubeconfig,
            stringify({
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: "in-cluster", cluster: { server: cluster.apiServer, "certificate-authority-data": ca } }],
                users: [{ name: account, user: { token: (await token()).trim() } }],
                contexts: [{ name: "in-cluster", context: { cluster: "in-cluster", user: account } }],
                "current-context": "in-cluster",
            }),
            { mode: 0o600 },
        );
        const env: Record<string, string> = {};
        for (const e of container.env ?? []) {
            if (e.value !== undefined) env[e.name] = e.value;
            else if (e.valueFrom?.fieldRef) env[e.name] = fieldRef(pod, e.valueFrom.fieldRef.fieldPath);
            else if (e.valueFrom?.resourceFieldRef) env[e.name] = resourceRef(container, node, e.valueFrom.resourceFieldRef);
            else if (e.valueFrom) throw new Error(`istiod env ${e.name}: ${JSON.stringify(e.valueFrom)} is not resolved here`);
            else env[e.name] = ""; // an empty value is left out of the object
        }
        env.KUBECONFIG = kubeconfig;
        // Its listeners on the pod's address; everything else as the Deployment says.
        const listen = ["httpAddr", "httpsAddr", "grpcAddr", "secureGRPCAddr", "monitoringAddr"];
        const args = (container.args as string[]).filter((a) => !listen.some((flag) => a.startsWith(`--${flag}=`)));
        args.push(
            `--httpAddr=${ip}:${ISTIOD_PORTS.http}`,
            `--httpsAddr=${ip}:${ISTIOD_PORTS.webhooks}`,
            `--grpcAddr=${ip}:${ISTIOD_PORTS.xds}`,
            `--secureGRPCAddr=${ip}:${ISTIOD_PORTS.secureXds}`,
            `--monitoringAddr=${ip}:${ISTIOD_PORTS.monitoring}`,
            `--ctrlz_address=${ip}`,
            `--kubeconfig=${kubeconfig}`,
        );
        const log = path.join(work, "istiod.log");
        const daemon = await this.net.daemon("pilot-discovery", args, {
            cwd: work,
            env: { PATH: process.env.PATH ?? "", HOME: work, ...env },
            log,
        });
        const running: RunningIstiod = {
            cluster,
            revision: pod.metadata.labels["istio.io/rev"],
            pod: pod.metadata.name,
            podIP: ip,
            startedAt: Date.now(),
            log,
            process: daemon,
        };
        this.running.set(pod.metadata.uid, running);
        void daemon.exited.then(() => {
            if (this.running.get(pod.metadata.uid) === running) running.exited = true;
        });
    }

    private async kill(uid: string): Promise<void> {
        const istiod = this.running.get(uid)!;
        this.running.delete(uid);
        await istiod.process.stop();
    }

    /**
     * The istiods of one cluster (and revision). Throws if an istiod could not be started or one
     * has ended on its own: a proof must not pass, or wait out its timeout, on a control plane
     * that is not there.
     */
    of(cluster: KwokCluster, revision?: string): RunningIstiod[] {
        if (this.errors.size > 0) throw new IstiodMissing(`an istiod could not be started: ${[...this.errors].join("; ")}`);
        const found = [...this.running.values()].filter((i) => i.cluster === cluster && (!revision || i.revision === revision));
        const ended = found.find((i) => i.exited);
        if (ended) {
            const log = readFileSync(ended.log, "utf8").trim().split("\n").slice(-15).join("\n");
            throw new IstiodMissing(`${cluster.name}: istiod ${ended.pod} (pilot-discovery) has ended; the end of its log:\n${log}`);
        }
        return found;
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await this.loop;
        await Promise.all([...this.watches.values()].map((w) => w.stop()));
        for (const uid of [...this.running.keys()]) await this.kill(uid);
    }
}
