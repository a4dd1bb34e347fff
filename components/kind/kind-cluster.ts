// KindCluster: one kind cluster, driven through the kind CLI (there is no @pulumi/kind).
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { carvePool, isIpv4 } from "../address-plan";
import { MeshCluster, commandTargetOf } from "../cluster";
import { ClusterSpec } from "../config";
import { ipv4SubnetOf } from "./docker-network";
import { kindConfigYaml } from "./kind-config";

// tsx runs the TypeScript entry directly (a devDependency, installed by npm ci).
const SCRIPT = "node --import tsx scripts/kind-cluster.ts";

export interface KindClusterArgs {
    spec: ClusterSpec;
    nodeImage: string;
}

interface CreateResult {
    apiServer: string;
    network: unknown;
}

export class KindCluster extends pulumi.ComponentResource implements MeshCluster {
    public readonly spec: ClusterSpec;
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly apiServer: pulumi.Output<string>;
    public readonly loadBalancer: MeshCluster["loadBalancer"];
    public readonly kubectlEnv: pulumi.Output<Record<string, string>>;
    public readonly commandTarget: Record<string, string>;
    public readonly deletedWith: command.local.Command;
    public readonly ready: pulumi.Resource[];
    /** The docker network's IPv4 subnet the pool is carved from. */
    public readonly dockerSubnet: pulumi.Output<string>;

    constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:KindCluster", name, {}, opts);
        const { spec } = args;
        this.spec = spec;
        const configYaml = kindConfigYaml(spec, args.nodeImage);
        const env = { KIND_CLUSTER_NAME: spec.context, KUBE_CONTEXT: spec.context };

        const cluster = new command.local.Command(
            `${name}-cluster`,
            {
                create: `${SCRIPT} create`,
                delete: `${SCRIPT} delete`,
                environment: { ...env, KIND_CONFIG: configYaml },
                // A new config means a new cluster (subnets and node image are fixed at creation).
                triggers: [configYaml],
            },
            // The cluster name is fixed: the old one must go before the new one can be made.
            { parent: this, deleteBeforeReplace: true },
        );
        this.deletedWith = cluster;

        // Admin credentials: never logged, secret in state.
        const kubeconfig = new command.local.Command(
            `${name}-kubeconfig`,
            {
                create: `${SCRIPT} kubeconfig`,
                environment: env,
                logging: "stderr",
                triggers: [cluster.id],
            },
            { parent: this, dependsOn: [cluster], additionalSecretOutputs: ["stdout"] },
        );
        this.kubeconfig = pulumi.secret(kubeconfig.stdout);

        const created = cluster.stdout.apply((stdout) => parseCreateOutput(spec.context, stdout));
        this.apiServer = created.apiServer;
        this.dockerSubnet = created.network.apply((network) => ipv4SubnetOf(JSON.stringify(network)));
        const pool = this.dockerSubnet.apply((subnet) => carvePool(subnet, spec.index));
        this.loadBalancer = { type: "metallb", range: pool.range, gatewayAddress: pool.gatewayAddress, announceFromExcludedNodes: true };

        this.provider = new k8s.Provider(
            `${name}-provider`,
            // A new cluster (new id) replaces the provider and so everything in it; nothing else does.
            { kubeconfig: this.kubeconfig, clusterIdentifier: cluster.id },
            { parent: this },
        );
        this.kubectlEnv = pulumi.secret(this.kubeconfig.apply((data): Record<string, string> => ({ KUBECONFIG_DATA: data })));
        this.commandTarget = commandTargetOf(spec);
        this.ready = [kubeconfig];

        this.registerOutputs({ apiServer: this.apiServer, context: spec.context, dockerSubnet: this.dockerSubnet });
    }

    /** Adds resources (e.g. image loads) that in-cluster work must wait for. */
    public addReady(...resources: pulumi.Resource[]): void {
        this.ready.push(...resources);
    }
}

/** The last stdout line of `kind-cluster.ts create` is JSON; kind's own output goes to stderr. */
export function parseCreateOutput(context: string, stdout: string): CreateResult {
    const line = stdout.trim().split("\n").pop() ?? "";
    let parsed: Partial<CreateResult>;
    try {
        parsed = JSON.parse(line);
    } catch {
        throw new Error(`kind cluster ${context}: unexpected output from kind-cluster.ts create: ${line.slice(0, 200)}`);
    }
    const apiServer = parsed.apiServer ?? "";
    // Peers connect from inside the docker network: the host's 127.0.0.1 port is useless to them.
    const host = /^https:\/\/([^/:]+):6443$/.exec(apiServer)?.[1] ?? "";
    if (!isIpv4(host) || host.startsWith("127.")) {
        throw new Error(`kind cluster ${context}: no control-plane address on the kind network (got "${apiServer}")`);
    }
    return { apiServer, network: parsed.network };
}
