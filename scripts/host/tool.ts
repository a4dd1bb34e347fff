// Runs host tools (kind, docker, kubectl) with explicit exit-code checks: a failure is an error
// that carries the tool's own message, never an empty result.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface ToolResult {
    status: number;
    stdout: string;
    stderr: string;
    /** Set when the executable is not on PATH (status 127). */
    notFound?: true;
}

export class ToolError extends Error {
    constructor(
        public readonly command: string,
        public readonly result: ToolResult,
    ) {
        const why = result.stderr.trim() || result.stdout.trim() || "no output";
        super(`\`${command}\` failed (exit ${result.status}): ${why}`);
        this.name = "ToolError";
    }
}

export interface RunOptions {
    input?: string;
    env?: NodeJS.ProcessEnv;
    /** Let the tool's stderr through to ours (progress of long commands such as kind create). */
    passStderr?: boolean;
    timeoutMs?: number;
}

/** Runs `cmd args`; never throws for a non-zero exit (see `mustRun`). */
export function run(cmd: string, args: string[], options: RunOptions = {}): ToolResult {
    const result = spawnSync(cmd, args, {
        input: options.input,
        env: options.env ?? process.env,
        encoding: "utf8",
        stdio: ["pipe", "pipe", options.passStderr ? "inherit" : "pipe"],
        timeout: options.timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
    });
    if (result.error) {
        const code = (result.error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return { status: 127, stdout: "", stderr: `${cmd} is not installed (not found on PATH)`, notFound: true };
        return { status: 127, stdout: "", stderr: result.error.message };
    }
    return { status: result.status ?? 128, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** Runs `cmd args` and returns its stdout; any non-zero exit throws a ToolError. */
export function mustRun(cmd: string, args: string[], options: RunOptions = {}): string {
    const result = run(cmd, args, options);
    if (result.status !== 0) {
        if (options.passStderr && !result.stderr) result.stderr = "its messages are above";
        throw new ToolError([cmd, ...args].join(" "), result);
    }
    return result.stdout;
}

/** An environment variable the entry point cannot do without. */
export function required(variable: string): string {
    const value = process.env[variable]?.trim();
    if (!value) throw new Error(`${variable} is required`);
    return value;
}

/** Blocks for `ms`: these entry points are synchronous from start to end. */
export function sleepSync(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A private temporary folder (mode 700) for kubeconfigs and configs, removed on the way out. */
export function withTempDir<T>(prefix: string, body: (dir: string) => T): T {
    const dir = mkdtempSync(path.join(tmpdir(), `istio-mc-${prefix}-`));
    try {
        return body(dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

export function log(scope: string, message: string): void {
    process.stderr.write(`[${scope}] ${message}\n`);
}

/** Runs an entry point: a thrown error becomes one line on stderr and exit 1. */
export function main(body: () => void): void {
    try {
        body();
    } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
    }
}
