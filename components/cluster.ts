// The one interface through which the rest of the program sees a cluster, whatever made it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec } from "./config";

/** How LoadBalancer Services of a cluster get addresses. */
export type LoadBalancerSupport =
    | {
          /** The program installs MetalLB with this address range ("a-b" or a CIDR). */
          type: "metallb";
          range: pulumi.Output<string>;
          /** The east-west gateway is pinned to this address from the range. */
          gatewayAddress: pulumi.Output<string>;
          /**
           * Announce from nodes labelled node.kubernetes.io/exclude-from-external-load-balancers:
           * kubeadm puts it on control-plane nodes, and a kind cluster has nothing else.
           */
          announceFromExcludedNodes: boolean;
      }
    | {
          type: "platform";
          /** Known (reserved) address of the east-west gateway, if the user gave one. */
          gatewayAddress?: pulumi.Output<string>;
          /** Annotations for the gateway's Service (how the platform binds a reserved address). */
          serviceAnnotations?: Record<string, string>;
      };

export interface MeshCluster {
    /** Index and names: context, Istio cluster name, network. */
    spec: ClusterSpec;
    provider: k8s.Provider;
    /** Admin kubeconfig (secret) when the program has one; undefined for contexts it only uses. */
    kubeconfig?: pulumi.Output<string>;
    /** The API server URL that the other clusters can reach (never loopback). */
    apiServer: pulumi.Output<string>;
    /**
     * How peers verify `apiServer` when another CA than the cluster's own serves it (a load
     * balancer or custom domain in front of it): a PEM bundle (base64) and a TLS server name.
     * Unset: the service-account CA from the reader token, as istioctl does.
     */
    apiServerTls?: { caData?: string; serverName?: string };
    loadBalancer: LoadBalancerSupport;
    /**
     * Environment for kubectl-based helper commands (secret): KUBECONFIG_DATA, or
     * KUBE_CONTEXT plus an optional KUBECONFIG path.
     */
    kubectlEnv: pulumi.Output<Record<string, string>>;
    /**
     * How a helper command that talks to several clusters finds this one, with nothing secret in it
     * (so it can sit in every peer's command inputs): KIND_CLUSTER_NAME (kind gives the kubeconfig),
     * or KUBE_CONTEXT plus an optional KUBECONFIG file. See scripts/host/kubectl-target.cjs.
     */
    commandTarget: Record<string, string>;
    /** In-cluster resources are deletedWith this (the kind cluster); undefined: delete them one by one. */
    deletedWith?: pulumi.Resource;
    /** What in-cluster resources wait for before they are created (e.g. the cluster itself). */
    ready: pulumi.Resource[];
}

/** Options every in-cluster resource of `cluster` takes. */
export function inCluster(cluster: MeshCluster, parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[] = []) {
    return {
        parent,
        provider: cluster.provider,
        dependsOn: [...cluster.ready, ...dependsOn],
        ...(cluster.deletedWith ? { deletedWith: cluster.deletedWith } : {}),
    };
}

/** MeshCluster.commandTarget of a cluster: kind's name for a kind cluster, else its context and kubeconfig file. */
export function commandTargetOf(spec: ClusterSpec): Record<string, string> {
    if (!spec.existing) return { KIND_CLUSTER_NAME: spec.context };
    return { KUBE_CONTEXT: spec.context, ...(spec.existing.kubeconfig ? { KUBECONFIG: spec.existing.kubeconfig } : {}) };
}
