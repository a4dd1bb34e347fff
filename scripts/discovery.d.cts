// Types of what scripts/discovery.cjs exports: the objects of endpoint discovery, as pure functions.
export declare const READER_SERVICE_ACCOUNT: string;
/** Whether kubectl's last error line is one of an API server busy or away for a moment (the change is tried again). */
export declare function isTransient(why: string): boolean;
/** The reader token a cluster issues to `consumer` (a cluster name). */
export declare function tokenSecretName(consumer: string): string;
/** The remote secret by which a cluster reads `remote`. */
export declare function remoteSecretName(remote: string): string;
/** The kubeconfig a remote secret carries: one cluster, one user, one context, named after the remote. */
export declare function remoteKubeconfig(clusterName: string, server: string, caData: string, token: string, tlsServerName?: string): string;
/** A cluster of the mesh as the command is told of it. */
export interface Member {
    clusterName: string;
    server: string;
    caData?: string;
    tlsServerName?: string;
    target: Record<string, string>;
    gone?: boolean;
}
/** The reader token Secret a cluster issues to `consumer`. */
export declare function readerTokenSecret(consumer: string): Record<string, any>;
/** The remote secret by which a cluster reads `remote`, from the token Secret's data (base64 values). */
export declare function remoteSecret(remote: Member, tokenData: { token: string; "ca.crt": string }): Record<string, any>;
/**
 * What endpoint discovery made that is not there any more: per member that answers, the reader
 * tokens and remote secrets it should hold for the other members in `known`. "clusterX: Secret istio-system/NAME".
 */
export declare function missingObjects(members: Member[], known: string[]): Promise<string[]>;
