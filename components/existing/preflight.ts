// Checks for clusters the program did not create: every kube context must exist.
import { ClusterSpec } from "../config";
import { PreflightError, lastLine, run } from "../run";

export function existingPreflight(clusters: ClusterSpec[], env: NodeJS.ProcessEnv = process.env): string[] {
    const problems: string[] = [];
    const report: string[] = [];
    const contextsByFile = new Map<string, string[] | string>();
    clusters.forEach((cluster, k) => {
        const file = cluster.existing?.kubeconfig;
        const key = file ?? "";
        if (!contextsByFile.has(key)) {
            const args = ["config", "get-contexts", "-o", "name", ...(file ? ["--kubeconfig", file] : [])];
            const result = run("kubectl", args, env);
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
        } else if (!contexts.includes(cluster.context)) {
            problems.push(
                `clusters[${k}].context "${cluster.context}" is not in ${where} (contexts there: ${contexts.join(", ") || "none"}).`,
            );
        } else {
            report.push(`${cluster.clusterName}: context ${cluster.context}, API server for peers ${cluster.existing?.apiServer}`);
        }
    });
    if (problems.length > 0) throw new PreflightError(problems);
    return report;
}
