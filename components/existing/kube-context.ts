// What a kube context of an existing cluster really points at, read with kubectl (which applies
// KUBECONFIG's merge rules): the API server it talks to, and a kubeconfig the Kubernetes provider
// can load (the provider takes one file or its content, not a KUBECONFIG list).
import { delimiter } from "node:path";
import { run } from "../run";

export interface ContextTarget {
    /** The context's server URL, when the kubeconfig could be read. */
    server?: string;
    /** For the provider: a file that holds the context with its cluster and user, or the context flattened (a secret). */
    kubeconfig?: { file: string } | { content: string };
}

function view(args: string[], env: NodeJS.ProcessEnv) {
    const result = run("kubectl", ["config", "view", "--minify", ...args, "-o", "json"], env);
    if (!result.ok) return undefined;
    try {
        const config = JSON.parse(result.stdout);
        return config.clusters?.length === 1 && config.users?.length === 1 ? config : undefined;
    } catch {
        return undefined;
    }
}

export function contextTarget(context: string, kubeconfig: string | undefined, env: NodeJS.ProcessEnv = process.env): ContextTarget {
    const files = kubeconfig ? [kubeconfig] : (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
    const viewEnv = kubeconfig ? { ...env, KUBECONFIG: kubeconfig } : env;
    const merged = view(["--context", context], viewEnv);
    if (!merged) return {};
    const server: string = merged.clusters[0].cluster?.server;
    if (kubeconfig || files.length <= 1) return { server };
    // A KUBECONFIG list: the first file that holds the whole context, else the context flattened.
    const file = files.find((f) => view(["--context", context], { ...env, KUBECONFIG: f })?.clusters[0].cluster?.server === server);
    if (file) return { server, kubeconfig: { file } };
    const flat = run("kubectl", ["config", "view", "--minify", "--flatten", "--raw", "--context", context], env);
    return flat.ok ? { server, kubeconfig: { content: flat.stdout } } : { server };
}
