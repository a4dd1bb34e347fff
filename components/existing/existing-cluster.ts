// ExistingCluster: a cluster the program did not create, reached through a kube context.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { intToIp, ipToInt, parseCidr } from "../address-plan";
import { MeshCluster, commandTargetOf } from "../cluster";
import { ClusterSpec } from "../config";
import { contextTarget } from "./kube-context";

/** First address of a MetalLB range ("a-b" or a CIDR, whose network address is skipped). */
export function firstAddress(range: string): string {
    if (range.includes("/")) return intToIp(parseCidr(range).network + 1);
    return intToIp(ipToInt(range.split("-")[0].trim()));
}

export class ExistingCluster extends pulumi.ComponentResource implements MeshCluster {
    public readonly spec: ClusterSpec;
    public readonly provider: k8s.Provider;
    public readonly apiServer: pulumi.Output<string>;
    public readonly apiServerTls?: MeshCluster["apiServerTls"];
    public readonly loadBalancer: MeshCluster["loadBalancer"];
    public readonly kubectlEnv: pulumi.Output<Record<string, string>>;
    public readonly commandTarget: Record<string, string>;
    /** Never deleted with anything: destroy removes what the program installed, one by one. */
    public readonly deletedWith = undefined;
    public readonly ready: pulumi.Resource[] = [];

    constructor(name: string, spec: ClusterSpec, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:ExistingCluster", name, {}, opts);
        if (!spec.existing) throw new Error(`cluster ${spec.clusterName} is not an existing cluster`);
        const { kubeconfig, apiServer } = spec.existing;
        this.spec = spec;
        const target = contextTarget(spec.context, kubeconfig);
        const providerKubeconfig =
            kubeconfig ??
            (target.kubeconfig && ("file" in target.kubeconfig ? target.kubeconfig.file : pulumi.secret(target.kubeconfig.content)));
        this.provider = new k8s.Provider(
            `${name}-provider`,
            {
                context: spec.context,
                ...(providerKubeconfig ? { kubeconfig: providerKubeconfig } : {}),
                // The cluster the provider talks to: its context and that context's server. Another
                // KUBECONFIG on another machine, or a new peer-facing apiServer, replaces nothing.
                // (Without a readable kubeconfig, as in a plan under mocks: the context alone.)
                clusterIdentifier: target.server ? `${spec.context}@${target.server}` : spec.context,
                // A gone cluster (components/existing/gone.ts): no diff and no delete needs an answer from it.
                ...(spec.gone ? { skipUpdateUnreachable: true, deleteUnreachable: true } : {}),
            },
            // Its context may be gone from the kubeconfig too: keep the provider it had, not replace it.
            { parent: this, ...(spec.gone ? { ignoreChanges: ["context", "kubeconfig", "clusterIdentifier"] } : {}) },
        );
        this.apiServer = pulumi.output(apiServer);
        const { apiServerCaData, apiServerTlsServerName } = spec.existing;
        if (apiServerCaData || apiServerTlsServerName) {
            this.apiServerTls = {
                ...(apiServerCaData ? { caData: apiServerCaData } : {}),
                ...(apiServerTlsServerName ? { serverName: apiServerTlsServerName } : {}),
            };
        }
        const lb = spec.loadBalancer;
        if (lb.type === "metallb") {
            this.loadBalancer = {
                type: "metallb",
                range: pulumi.output(lb.range),
                gatewayAddress: pulumi.output(firstAddress(lb.range)),
                // Real clusters have worker nodes: keep MetalLB's default of honouring the label.
                announceFromExcludedNodes: false,
            };
        } else if (lb.type === "platform") {
            this.loadBalancer = {
                type: "platform",
                ...(lb.gatewayAddress ? { gatewayAddress: pulumi.output(lb.gatewayAddress) } : {}),
                ...(lb.serviceAnnotations ? { serviceAnnotations: lb.serviceAnnotations } : {}),
            };
        } else {
            throw new Error(`cluster ${spec.clusterName}: load balancer ${lb.type} is for kind clusters`);
        }
        this.commandTarget = commandTargetOf(spec);
        this.kubectlEnv = pulumi.output(this.commandTarget);
        this.registerOutputs({ apiServer: this.apiServer, context: spec.context });
    }
}
