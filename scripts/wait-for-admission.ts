// Waits until the API server admits $MANIFEST (server-side dry run), e.g. until MetalLB's
// validating webhook serves: objects applied before that are rejected. Only "not ready yet"
// errors are retried; a rejection of the object itself (a bad or overlapping range) fails at
// once with the API's message. Run as `node --import tsx scripts/wait-for-admission.ts`.
//
// Environment: MANIFEST (YAML), TIMEOUT_SECONDS (default 300), and either KUBECONFIG_DATA
// (kubeconfig text, written to a private temp file) or KUBE_CONTEXT [+ KUBECONFIG].
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { kubectlTarget } from "./host/kubectl-target.cjs";
import { main, required, run, sleepSync, withTempDir } from "./host/tool";

/** Errors of a webhook or API that is still starting: its Service has no endpoints, its TLS is not set up, its CRDs are not served. */
const NOT_READY = [
    /failed calling webhook/,
    /no endpoints available for service/,
    /connection refused/,
    /i\/o timeout|context deadline exceeded|TLS handshake timeout/,
    /x509: certificate signed by unknown authority/,
    /the server is currently unable to handle the request/,
    /no matches for kind .* in version|ensure CRDs are installed first/,
];

export function isNotReady(message: string): boolean {
    return NOT_READY.some((pattern) => pattern.test(message));
}

function waitForAdmission(): void {
    const manifest = required("MANIFEST");
    const timeout = Number(process.env.TIMEOUT_SECONDS || 300);
    withTempDir("admission", (dir) => {
        const args = kubectlTarget(dir);
        writeFileSync(path.join(dir, "manifest.yaml"), manifest);
        const deadline = Date.now() + timeout * 1000;
        for (;;) {
            const result = run("kubectl", [...args, "apply", "--dry-run=server", "-f", path.join(dir, "manifest.yaml")]);
            if (result.status === 0) break;
            const error = result.stderr.trim().split("\n").pop() ?? "";
            if (!isNotReady(result.stderr)) throw new Error(`rejected by the API server: ${error}`);
            if (Date.now() >= deadline) throw new Error(`not admitted after ${timeout}s: ${error}`);
            sleepSync(2000);
        }
        process.stdout.write("admitted\n");
    });
}

if (require.main === module) main(waitForAdmission);
