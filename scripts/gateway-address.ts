// Prints the external address (IP or hostname) of a LoadBalancer Service once the platform has
// given it one. The program reads the east-west gateway's address this way, not with a read of the
// Service resource: nothing of the live object lands in state, so a refresh finds nothing changed,
// and a destroy does not need the Service to exist. Run as `node --import tsx scripts/gateway-address.ts`.
//
// Environment: CLUSTER (for messages), NAMESPACE, SERVICE, TIMEOUT_SECONDS, and the target:
// KUBECONFIG_DATA or KUBE_CONTEXT [+ KUBECONFIG].
import { kubectlTarget, pollObject } from "./host/kube-target";
import { main, required, withTempDir } from "./host/tool";

function gatewayAddress(): void {
    const cluster = required("CLUSTER");
    const namespace = required("NAMESPACE");
    const service = required("SERVICE");
    const timeout = Number(process.env.TIMEOUT_SECONDS || 300);
    const address = withTempDir("gateway-address", (dir) =>
        pollObject(
            kubectlTarget(dir),
            ["-n", namespace, "get", "service", service],
            timeout,
            (object) => {
                const ingress = object.status?.loadBalancer?.ingress?.[0];
                return ingress?.ip || ingress?.hostname || undefined;
            },
            `${cluster}: Service ${namespace}/${service} has no load balancer address`,
        ),
    );
    process.stdout.write(`${address}\n`);
}

if (require.main === module) main(gatewayAddress);
