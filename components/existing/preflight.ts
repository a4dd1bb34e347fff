// Checks for clusters the program did not create, before anything is declared: every kube context
// exists and its API server answers with the credentials it holds. A cluster marked gone is left
// out (components/existing/gone.ts): it is expected not to answer.
import { ClusterSpec } from "../config";
import { PreflightError, lastLine, run } from "../run";

/** How long one API server may take to answer /readyz. */
const READY_TIMEOUT_SECONDS = 10;

export function existingPreflight(clusters: ClusterSpec[], env: NodeJS.ProcessEnv = process.env): string[] {
    const problems: string[] = [];
    const report: string[] = [];
    const contextsByFile = new Map<string, string[] | string>();
    clusters.forEach((cluster, k) => {
        if (cluster.gone) {
            report.push(`${cluster.clusterName}: marked gone, left as it is (context ${cluster.context} not checked)`);
            return;
        }
        const file = cluster.existing?.kubeconfig;
        const key = file ?? "";
        const kubeconfigArgs = file ? ["--kubeconfig", file] : [];
        if (!contextsByFile.has(key)) {
            const result = run("kubectl", ["config", "get-contexts", "-o", "name", ...kubeconfigArgs], env);
            if (!result.found)
                contextsByFile.set(key, "kubectl is not installed: install kubectl (https://kubernetes.io/docs/tasks/tools/)");
            else if (!result.ok) contextsByFile.set(key, `cannot read kubeconfig ${file ?? "(default)"}: ${lastLine(result.stderr)}`);
            else
                contextsByFile.set(
                    key,
                    result.stdout
                        .split("\n")
                        .map((l) => l.trim())
                        .filter(Boolean),
                );
        }
        const contexts = contextsByFile.get(key)!;
        const where = file ? `kubeconfig ${file}` : "your kubeconfig";
        if (typeof contexts === "string") {
            if (!problems.includes(contexts)) problems.push(contexts);
            return;
        }
        if (!contexts.includes(cluster.context)) {
            problems.push(
                `clusters[${k}].context "${cluster.context}" is not in ${where} (contexts there: ${contexts.join(", ") || "none"}).`,
            );
            return;
        }
        // Nothing is declared for a cluster that does not answer: a half-made mesh is worse than none.
        const ready = run(
            "kubectl",
            ["--context", cluster.context, ...kubeconfigArgs, "get", "--raw", "/readyz", `--request-timeout=${READY_TIMEOUT_SECONDS}s`],
            env,
        );
        if (!ready.ok) {
            problems.push(
                `clusters[${k}] (context ${cluster.context}): its API server does not answer (${lastLine(ready.stderr) || "no answer"}). ` +
                    `Start it or fix the context's address and credentials; to leave a cluster that is gone for good, ` +
                    `set clusters[${k}].gone to true (README, "A cluster that is gone").`,
            );
            return;
        }
        report.push(`${cluster.clusterName}: context ${cluster.context} answers; API server for peers ${cluster.existing?.apiServer}`);
    });
    if (problems.length > 0) throw new PreflightError(problems);
    return report;
}
