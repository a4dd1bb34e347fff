// What the program reads from an object it made once the cluster has filled it in: a reader
// token's data, a LoadBalancer Service's address. A command (scripts/wait-object.cjs) waits for it
// and prints it; nothing of the live object lands in state, and only its stdout is read back.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { MeshCluster } from "./cluster";

export interface WaitForObjectArgs {
    mode: "reader-token" | "gateway-address";
    cluster: MeshCluster;
    namespace: string;
    objectName: string;
    timeoutSeconds: number;
    /** The object's resource: the wait runs after it, and again when this value changes (a new object). */
    object: pulumi.CustomResource;
    trigger: pulumi.Input<string>;
}

/** Its stdout is what the object holds; `secret` keeps it out of state and logs in plain text. `opts`: more options. */
export function waitForObject(
    name: string,
    args: WaitForObjectArgs,
    parent: pulumi.Resource,
    secret = false,
    opts: pulumi.CustomResourceOptions = {},
): pulumi.Output<string> {
    return new command.local.Command(
        name,
        {
            create: `node scripts/wait-object.cjs ${args.mode}`,
            environment: args.cluster.kubectlEnv.apply((env) => ({
                ...env,
                CLUSTER: args.cluster.spec.clusterName,
                NAMESPACE: args.namespace,
                NAME: args.objectName,
                TIMEOUT_SECONDS: String(args.timeoutSeconds),
            })),
            logging: "stderr", // stdout is what the object holds
            triggers: [args.trigger],
        },
        { parent, dependsOn: [args.object], ...(secret ? { additionalSecretOutputs: ["stdout"] } : {}), ...opts },
    ).stdout;
}
