// Runs a CLI synchronously for checks done before any resource is declared.
import { run as runTool } from "../scripts/host/tool";

export interface RunResult {
    /** false when the executable was not found */
    found: boolean;
    ok: boolean;
    stdout: string;
    stderr: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): RunResult {
    const result = runTool(cmd, args, { env, timeoutMs: 30_000 });
    return { found: !result.notFound, ok: result.status === 0, stdout: result.stdout, stderr: result.stderr };
}

/** Last non-empty line of a command's error output, for one-line messages. */
export function lastLine(text: string): string {
    return (
        text
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean)
            .pop() ?? ""
    );
}

export class PreflightError extends Error {
    constructor(public readonly problems: string[]) {
        super(`Preflight failed (set istio-multicluster:preflight false to skip):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "PreflightError";
    }
}
