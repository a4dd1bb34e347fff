// Which cluster a helper command that the program runs talks to, from its environment:
// KUBECONFIG_DATA (kubeconfig text, written to a private file) or KUBE_CONTEXT [+ KUBECONFIG].
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { run, sleepSync } from "./tool";

/** kubectl's arguments for the target cluster; `dir` is a private folder for the kubeconfig file. */
export function kubectlTarget(dir: string, env: NodeJS.ProcessEnv = process.env): string[] {
    if (env.KUBECONFIG_DATA) {
        const file = path.join(dir, "kubeconfig");
        writeFileSync(file, `${env.KUBECONFIG_DATA}\n`, { mode: 0o600 });
        return ["--kubeconfig", file];
    }
    return env.KUBE_CONTEXT ? ["--context", env.KUBE_CONTEXT] : [];
}

/**
 * Reads an object as JSON until `done` returns a value, every 2 s until `timeoutSeconds`. A failed
 * read (an API server slow under load, a moment of connection refused) is tried again; at the
 * deadline the error names what was awaited and kubectl's last message.
 */
export function pollObject<T>(
    target: string[],
    args: string[],
    timeoutSeconds: number,
    done: (object: any) => T | undefined,
    waitingFor: string,
): T {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
        const result = run("kubectl", [...target, ...args, "-o", "json"], { timeoutMs: 30_000 });
        const found = result.status === 0 ? done(JSON.parse(result.stdout)) : undefined;
        if (found !== undefined) return found;
        if (Date.now() >= deadline) {
            const why = result.status === 0 ? "" : ` (kubectl: ${result.stderr.trim().split("\n").pop()})`;
            throw new Error(`${waitingFor} after ${timeoutSeconds}s${why}`);
        }
        sleepSync(2000);
    }
}
