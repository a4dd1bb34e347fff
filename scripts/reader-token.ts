// Waits until the token controller has filled a reader token Secret, and prints its `token` and
// `ca.crt` (base64, as in the Secret) as JSON on stdout, which the program keeps secret. The
// Kubernetes provider waits for such a Secret a few seconds only; several clusters starting at once
// can take longer. Run as `node --import tsx scripts/reader-token.ts`.
//
// Environment: CLUSTER (for messages), SECRET (in istio-system), TIMEOUT_SECONDS, and the target:
// KUBECONFIG_DATA or KUBE_CONTEXT [+ KUBECONFIG].
import { kubectlTarget, pollObject } from "./host/kube-target";
import { main, required, withTempDir } from "./host/tool";

function readerToken(): void {
    const cluster = required("CLUSTER");
    const secret = required("SECRET");
    const timeout = Number(process.env.TIMEOUT_SECONDS || 300);
    const data = withTempDir("reader-token", (dir) =>
        pollObject(
            kubectlTarget(dir),
            ["-n", "istio-system", "get", "secret", secret],
            timeout,
            (object) => (object.data?.token && object.data?.["ca.crt"] ? object.data : undefined),
            `${cluster}: the token controller has not filled Secret istio-system/${secret}`,
        ),
    );
    process.stdout.write(`${JSON.stringify({ token: data.token, "ca.crt": data["ca.crt"] })}\n`);
}

if (require.main === module) main(readerToken);
