// Endpoint discovery: what `istioctl create-remote-secret` makes, for one ordered pair.
// Cluster `remote` issues a reader token to cluster `consumer`; the consumer's istiod
// then watches the remote API server with it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { MeshCluster, inCluster } from "./cluster";
import { ISTIO_NAMESPACE } from "./istio";
import { waitForObject } from "./wait-object";

export const READER_SERVICE_ACCOUNT = "istio-reader-service-account";

export interface RemoteAccessArgs {
    /** The cluster whose istiod reads. */
    consumer: MeshCluster;
    /** The cluster being read. */
    remote: MeshCluster;
    /** Consumer's istio-system namespace (the remote secret lives there). */
    consumerNamespace: pulumi.Resource;
    /** Remote's istio-base release (it makes the reader ServiceAccount). */
    remoteBase: pulumi.Resource;
    /** Remote's istiod release: it binds the reader's ClusterRole; before it the consumer gets 403s. */
    remoteIstiod: pulumi.Resource;
    /** How long the token controller may take to fill the token. */
    timeoutSeconds: number;
}

/** The kubeconfig a remote secret carries: one cluster, one user, one context, named after the remote. */
export function remoteKubeconfig(clusterName: string, server: string, caData: string, token: string, tlsServerName?: string): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: clusterName,
                cluster: { server, "certificate-authority-data": caData, ...(tlsServerName ? { "tls-server-name": tlsServerName } : {}) },
            },
        ],
        users: [{ name: clusterName, user: { token } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        preferences: {},
    });
}

export function tokenSecretName(consumerClusterName: string): string {
    return `istio-reader-token-${consumerClusterName}`;
}

export function remoteSecretName(remoteClusterName: string): string {
    return `istio-remote-secret-${remoteClusterName}`;
}

export class RemoteAccess extends pulumi.ComponentResource {
    constructor(name: string, args: RemoteAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:RemoteAccess", name, {}, opts);
        const { consumer, remote } = args;
        const remoteName = remote.spec.clusterName;

        // One token per consumer: revoking one peer's access removes just this pair.
        // Since Kubernetes 1.24 a ServiceAccount gets no token by itself; the token controller
        // fills this Secret. The provider would wait for that a few seconds only (too short with
        // several clusters starting at once): wait-object.cjs waits instead, up to the timeout.
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
            inCluster(remote, this, [args.remoteBase]), // the SDK keeps a Secret's data secret
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
                // A new token Secret (revoked and made again) is read again.
                trigger: token.metadata.uid,
            },
            this,
            true, // the token
        );
        const data = pulumi.secret(filled.apply((stdout) => JSON.parse(stdout) as Record<string, string>));

        const kubeconfig = pulumi.all([remote.apiServer, data]).apply(([server, tokenData]) =>
            remoteKubeconfig(
                remoteName,
                server,
                // The service-account CA, as istioctl does, unless another CA serves apiServer.
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
                // The key must equal the remote's clusterName.
                stringData: { [remoteName]: pulumi.secret(kubeconfig) },
            },
            inCluster(consumer, this, [args.consumerNamespace, args.remoteIstiod]),
        );
        this.registerOutputs({});
    }
}
