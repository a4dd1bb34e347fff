// Real Kubernetes control planes without containers, for the real-clusters tier: per cluster a
// kube-apiserver, kube-controller-manager, kube-scheduler and etcd (all built from Kubernetes'
// source by scripts/real-tools/build.sh) started by `kwokctl --runtime binary`, and kwok, whose
// Stages (stages.yaml) play the kubelet, the CNI and a cloud load balancer.
//
// Cluster i of the set in slot s lives at these addresses of the test network (netns.ts), so that
// sets alive at the same time never share an address or a port:
//   API server  https://10.<240+s>.<i>.1:<20000+2000s+100i+43>   (its certificate names that address)
//   node        10.<240+s>.<i>.2, pods from 10.<240+s>.<100+i>.0/24
//   east-west gateway (LoadBalancer)  10.<240+s>.<i>.100
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { TestNetwork } from "./netns";

export interface ClusterOptions {
    /** Let the API server call admission webhooks (off: no pod stands behind any webhook Service). */
    webhooks?: boolean;
}

export interface KwokCluster {
    index: number;
    /** kwok cluster name, kube context and user, and the config `context`. */
    name: string;
    /** The API server's address for peers (not loopback). */
    apiServer: string;
    gatewayAddress: string;
    nodeAddress: string;
    podCidr: string;
}

const STAGES = path.join(__dirname, "stages.yaml");

/** Where `name` is on PATH (kwokctl wants every binary's path: it downloads nothing then). */
function binary(name: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, name);
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            continue;
        }
    }
    throw new Error(`${name} is not on PATH: eval "$(bash scripts/real-tools/build.sh)"`);
}

/** How long a cluster may take to come up: 16 starting at once on two cores take minutes. */
const SETUP_SECONDS = 300;

/** The slots of the test network: 16 sets of up to 16 clusters. */
export const SLOTS = 16;

/**
 * Cluster i's ports in slot s: every cluster's processes share the test network, and kwokctl's own
 * pick of free ports races when clusters start at once.
 */
const portBase = (slot: number, index: number) => 20000 + 2000 * slot + 100 * index;

/** kwokctl's configuration of a cluster whose API server answers peers at `address`. */
function kwokctlConfig(base: number, address: string, options: ClusterOptions): string {
    const config = {
        apiVersion: "config.kwok.x-k8s.io/v1alpha1",
        kind: "KwokctlConfiguration",
        options: {
            runtime: "binary",
            kubeApiserverBinary: binary("kube-apiserver"),
            kubeControllerManagerBinary: binary("kube-controller-manager"),
            kubeSchedulerBinary: binary("kube-scheduler"),
            kwokControllerBinary: binary("kwok"),
            etcdBinary: binary("etcd"),
            kubectlBinary: binary("kubectl"),
            kubeAuthorization: true,
            // The API server's own admission (namespaces, service accounts, pod security) as on a real cluster.
            kubeAdmission: true,
            kubeApiserverCertSANs: [address],
            kubeApiserverPort: base + 43,
            etcdPort: base + 79,
            etcdPeerPort: base + 80,
            kwokControllerPort: base + 47,
            kubeControllerManagerPort: base + 57,
            kubeSchedulerPort: base + 59,
        },
        componentsPatches: [
            {
                name: "kube-apiserver",
                extraArgs: [
                    // The `kubernetes` Service's endpoint: there is no default route to guess one from.
                    { key: "advertise-address", value: address },
                    ...(options.webhooks
                        ? // Webhooks at their endpoints (pod addresses of this network), not at ClusterIPs.
                          [{ key: "enable-aggregator-routing", value: "true" }]
                        : [{ key: "disable-admission-plugins", value: "MutatingAdmissionWebhook,ValidatingAdmissionWebhook" }]),
                ],
            },
            // One instance each: a lease renewal that misses its deadline on a loaded machine would make
            // the component exit, and kwokctl's binary runtime does not restart it.
            { name: "kube-controller-manager", extraArgs: [{ key: "leader-elect", value: "false" }] },
            { name: "kube-scheduler", extraArgs: [{ key: "leader-elect", value: "false" }] },
        ],
    };
    return `${stringify(config)}---\n${readFileSync(STAGES, "utf8")}`;
}

function nodeManifest(cluster: KwokCluster): string {
    const node = {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name: `${cluster.name}-node`,
            annotations: { "kwok.x-k8s.io/node": "fake" },
            labels: { "kubernetes.io/hostname": `${cluster.name}-node`, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" },
        },
        spec: { podCIDR: cluster.podCidr, podCIDRs: [cluster.podCidr] },
        status: {
            addresses: [
                { type: "InternalIP", address: cluster.nodeAddress },
                { type: "Hostname", address: `${cluster.name}-node` },
            ],
        },
    };
    return stringify(node);
}

/** A set of kwok clusters of one test case, and the kubeconfig (a file of the test's own) with a context for each. */
export class KwokClusters {
    public readonly clusters: KwokCluster[] = [];
    public readonly kubeconfig: string;
    private readonly env: NodeJS.ProcessEnv;

    constructor(
        private readonly net: TestNetwork,
        private readonly dir: string,
        /** Cluster names are `<prefix>-<i>`. */
        private readonly prefix: string,
        /** Which addresses and ports the set uses (0 to SLOTS - 1), distinct from any other set alive meanwhile. */
        public readonly slot: number,
        private readonly options: ClusterOptions = {},
    ) {
        if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) throw new Error(`slot ${slot}: 0 to ${SLOTS - 1}`);
        mkdirSync(dir, { recursive: true });
        this.kubeconfig = path.join(dir, "kubeconfig");
        this.env = { ...process.env, KWOK_WORKDIR: path.join(dir, "kwok"), KUBECONFIG: this.kubeconfig };
        writeFileSync(this.kubeconfig, stringify({ apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] }), {
            mode: 0o600,
        });
    }

    /** Creates clusters `from..to` (1-based), all at once; resolves when each has a Ready node. */
    async add(from: number, to: number): Promise<KwokCluster[]> {
        const made = await Promise.all(Array.from({ length: to - from + 1 }, (_, k) => this.createOne(from + k)));
        // One writer of the shared kubeconfig, after all are up.
        for (const { cluster, kubeconfig } of made) this.addContext(cluster, kubeconfig);
        await Promise.all(made.map(({ cluster }) => this.addNode(cluster)));
        this.clusters.push(...made.map((m) => m.cluster));
        return made.map((m) => m.cluster);
    }

    /** Every cluster kwokctl was asked to make, made or not: what `delete` removes. */
    private readonly attempted = new Set<string>();

    private async createOne(index: number): Promise<{ cluster: KwokCluster; kubeconfig: any }> {
        const name = `${this.prefix}-${index}`;
        this.attempted.add(name);
        const net = `10.${240 + this.slot}`;
        const base = portBase(this.slot, index);
        const cluster: KwokCluster = {
            index,
            name,
            apiServer: `https://${net}.${index}.1:${base + 43}`,
            gatewayAddress: `${net}.${index}.100`,
            nodeAddress: `${net}.${index}.2`,
            podCidr: `${net}.${100 + index}.0/24`,
        };
        const configFile = path.join(this.dir, `${name}.kwokctl.yaml`);
        writeFileSync(configFile, kwokctlConfig(base, `${net}.${index}.1`, this.options));
        await this.net.mustRun("kwokctl", ["create", "cluster", "--name", name, "--config", configFile, "--wait", `${SETUP_SECONDS}s`], {
            env: this.env,
            timeoutMs: (SETUP_SECONDS + 60) * 1000,
        });
        const kubeconfig = parse(await this.net.mustRun("kwokctl", ["get", "kubeconfig", "--name", name], { env: this.env }));
        return { cluster, kubeconfig };
    }

    /** kwok's kubeconfig, renamed to the cluster's name and pointed at its non-loopback address. */
    private addContext(cluster: KwokCluster, kwok: any): void {
        const config = parse(readFileSync(this.kubeconfig, "utf8"));
        config.clusters.push({ name: cluster.name, cluster: { ...kwok.clusters[0].cluster, server: cluster.apiServer } });
        config.users.push({ name: cluster.name, user: kwok.users[0].user });
        config.contexts.push({ name: cluster.name, context: { cluster: cluster.name, user: cluster.name } });
        writeFileSync(this.kubeconfig, stringify(config), { mode: 0o600 });
    }

    private async addNode(cluster: KwokCluster): Promise<void> {
        await this.kubectl(cluster, ["apply", "-f", "-"], nodeManifest(cluster));
        await this.waitFor(cluster, ["--for=condition=Ready", `node/${cluster.name}-node`]);
        // What the controllers add to a new cluster by themselves, there: a baseline taken now holds still.
        for (const namespace of ["default", "kube-node-lease", "kube-public", "kube-system"]) {
            for (const object of ["serviceaccount/default", "configmap/kube-root-ca.crt"]) {
                await this.waitFor(cluster, ["--for=create", object, "-n", namespace]);
            }
        }
    }

    /**
     * `kubectl wait` for up to SETUP_SECONDS. kube-controller-manager gives up (and exits) when the API
     * server is not healthy within 20 s of its start, which happens when many clusters start at once
     * on few cores, and kwokctl's binary runtime does not restart it: between tries,
     * `kwokctl start cluster` starts again whatever component has exited (it leaves running ones).
     */
    private async waitFor(cluster: KwokCluster, args: string[]): Promise<void> {
        const deadline = Date.now() + SETUP_SECONDS * 1000;
        for (;;) {
            const waited = await this.net.run("kubectl", ["--context", cluster.name, "wait", ...args, "--timeout=30s"], {
                env: this.env,
                timeoutMs: 90_000,
            });
            if (waited.status === 0) return;
            if (Date.now() > deadline) {
                const logs = await this.net.run("kwokctl", ["logs", "kube-controller-manager", "--name", cluster.name], {
                    env: this.env,
                    timeoutMs: 30_000,
                });
                throw new Error(
                    `kubectl wait ${args.join(" ")} in ${cluster.name} failed: ${waited.stderr.trim()}\n` +
                        `kube-controller-manager's last lines:\n${logs.stdout.trim().split("\n").slice(-15).join("\n")}`,
                );
            }
            await this.net.run("kwokctl", ["start", "cluster", "--name", cluster.name], { env: this.env, timeoutMs: 60_000 });
        }
    }

    /** kubectl against one cluster, inside the test network. */
    kubectl(cluster: KwokCluster, args: string[], input?: string): Promise<string> {
        return this.net.mustRun("kubectl", ["--context", cluster.name, ...args], { env: this.env, input, timeoutMs: 120_000 });
    }

    /**
     * A long-running kubectl inside the test network (e.g. `get --watch`): `onLine` gets each line
     * it prints; the result stops it. It ends by itself when its API server goes.
     */
    kubectlStream(cluster: KwokCluster, args: string[], onLine: (line: string) => void, onExit: () => void): { stop(): Promise<void> } {
        const child = this.net.spawn("sh", ["-c", 'echo $$; exec kubectl "$@"', "kubectl", "--context", cluster.name, ...args], {
            env: this.env,
        });
        let pid: string | undefined;
        let buffered = "";
        child.stdout!.on("data", (chunk) => {
            buffered += chunk;
            const lines = buffered.split("\n");
            buffered = lines.pop()!;
            for (const line of lines) {
                if (pid === undefined) pid = line.trim();
                else onLine(line);
            }
        });
        child.stderr!.resume();
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        void exited.then(onExit);
        child.stdin!.end();
        return {
            stop: async () => {
                if (pid) await this.net.run("kill", [pid]);
                await exited;
            },
        };
    }

    /** kubectl whose failure is an answer (e.g. `auth can-i`, a `get` of what must be gone); no context given. */
    kubectlResult(args: string[], input?: string) {
        return this.net.run("kubectl", args, { env: this.env, input, timeoutMs: 120_000 });
    }

    /** Stops a cluster's processes (its API server stops answering) or starts them again. */
    async stop(cluster: KwokCluster): Promise<void> {
        await this.net.mustRun("kwokctl", ["stop", "cluster", "--name", cluster.name], { env: this.env, timeoutMs: 60_000 });
    }

    async start(cluster: KwokCluster): Promise<void> {
        await this.net.mustRun("kwokctl", ["start", "cluster", "--name", cluster.name, "--wait", `${SETUP_SECONDS}s`], {
            env: this.env,
            timeoutMs: (SETUP_SECONDS + 60) * 1000,
        });
    }

    /** Deletes every cluster of the set that kwokctl was asked to make (their processes and files). */
    async delete(): Promise<void> {
        await Promise.all(
            [...this.attempted].map((name) =>
                this.net.run("kwokctl", ["delete", "cluster", "--name", name], { env: this.env, timeoutMs: 60_000 }),
            ),
        );
    }
}
