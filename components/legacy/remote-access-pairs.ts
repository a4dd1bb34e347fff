// The endpoint discovery of earlier releases: resources per ordered pair (a RemoteAccess component
// with the reader token, the command that waited for it, and the remote secret). A stack made by
// one of them still holds these in its state; components/endpoint-discovery.ts now keeps the same
// objects (same names, same content) with one command for the whole mesh.
//
// Removing them from the program would make Pulumi delete them, and with them the objects the
// command now keeps, at the end of the update: every istiod would lose its peers. So the first
// update of such a stack declares them once more, exactly as before, but marked retainOnDelete;
// the next update no longer declares them and Pulumi forgets them ("discard"), leaving the objects
// to the command. Nothing any istiod reads changes on the way: the command writes the same
// kubeconfigs (istiod skips a remote secret whose kubeconfig did not change) and keeps the tokens.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshCluster, inCluster } from "../cluster";
import { ISTIO_NAMESPACE } from "../istio";
import { waitForObject } from "../wait-object";
import { READER_SERVICE_ACCOUNT, remoteKubeconfig, remoteSecretName, tokenSecretName } from "../../scripts/discovery.cjs";

/** The layout of endpoint discovery this release keeps (the stack output `discoveryLayout`). */
export const DISCOVERY_LAYOUT = "per-cluster";

/**
 * Whether the stack's last update was made by a release that kept endpoint discovery per pair (its
 * outputs have no `discoveryLayout`), and endpoint discovery stays: then its pairs are declared once more.
 */
export function keepsLegacyPairs(last: Record<string, unknown>, discovery: string): boolean {
    if (Object.keys(last).length === 0 || "discoveryLayout" in last) return false;
    return (last.discovery ?? "endpoint") === "endpoint" && discovery === "endpoint";
}

export interface LegacyPairArgs {
    consumer: MeshCluster;
    remote: MeshCluster;
    consumerNamespace: pulumi.Resource;
    remoteBase: pulumi.Resource;
    remoteIstiod: pulumi.Resource;
    timeoutSeconds: number;
}

/** One pair as earlier releases declared it (type, names, inputs), each part kept in the clusters when it leaves the stack. */
export class LegacyRemoteAccess extends pulumi.ComponentResource {
    constructor(name: string, args: LegacyPairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:RemoteAccess", name, {}, opts);
        const { consumer, remote } = args;
        const remoteName = remote.spec.clusterName;
        const keep = { retainOnDelete: true };

        const tokenName = tokenSecretName(consumer.spec.clusterName);
        const token = new k8s.core.v1.Secret(
            `${name}-token`,
            {
                metadata: {
                    name: tokenName,
                    namespace: ISTIO_NAMESPACE,
                    annotations: { "kubernetes.io/service-account.name": READER_SERVICE_ACCOUNT, "pulumi.com/skipAwait": "true" },
                },
                type: "kubernetes.io/service-account-token",
            },
            { ...inCluster(remote, this, [args.remoteBase]), ...keep },
        );
        const filled = waitForObject(
            `${name}-token-data`,
            {
                mode: "reader-token",
                cluster: remote,
                namespace: ISTIO_NAMESPACE,
                objectName: tokenName,
                timeoutSeconds: args.timeoutSeconds,
                object: token,
                trigger: token.metadata.uid,
            },
            this,
            true,
            keep,
        );
        const data = pulumi.secret(filled.apply((stdout) => JSON.parse(stdout) as Record<string, string>));
        const kubeconfig = pulumi
            .all([remote.apiServer, data])
            .apply(([server, tokenData]) =>
                remoteKubeconfig(
                    remoteName,
                    server,
                    remote.apiServerTls?.caData ?? tokenData["ca.crt"],
                    Buffer.from(tokenData.token, "base64").toString("utf8"),
                    remote.apiServerTls?.serverName,
                ),
            );
        new k8s.core.v1.Secret(
            `${name}-remote-secret`,
            {
                metadata: {
                    name: remoteSecretName(remoteName),
                    namespace: ISTIO_NAMESPACE,
                    labels: { "istio/multiCluster": "true" },
                    annotations: { "networking.istio.io/cluster": remoteName },
                },
                stringData: { [remoteName]: pulumi.secret(kubeconfig) },
            },
            { ...inCluster(consumer, this, [args.consumerNamespace, args.remoteIstiod]), ...keep },
        );
        this.registerOutputs({});
    }
}
