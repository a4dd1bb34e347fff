// The kubeconfig lock: the same `<file>.lock` that kubectl and kind (client-go) take with
// O_CREAT|O_EXCL, so our edits and theirs never interleave. Ours records its owner's PID: a
// lock left by a killed run (its PID gone) is taken over; one held by a live process is waited for.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { sleepSync } from "./tool";

const OWNER = "istio-multicluster pid=";

export interface LockOptions {
    timeoutMs?: number;
    /** How long a lock without an owner (kubectl's, kind's) may be held before we say so. */
    foreignTimeoutMs?: number;
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
    // A zombie (exited, not yet reaped by its parent) holds nothing.
    const stat = readText(`/proc/${pid}/stat`);
    return stat === undefined || stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** A small file's text, or undefined when it is gone (a lock released meanwhile, a process ended). */
function readText(file: string): string | undefined {
    try {
        return readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

function tryCreate(lock: string): boolean {
    try {
        const fd = openSync(lock, "wx", 0o600);
        writeSync(fd, `${OWNER}${process.pid}\n`);
        closeSync(fd);
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
    }
}

/** Runs `body` holding `<file>.lock`; releases it on every way out, signals included. */
export function withFileLock<T>(file: string, body: () => T, options: LockOptions = {}): T {
    const lock = `${file}.lock`;
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? 120_000;
    const foreignTimeoutMs = options.foreignTimeoutMs ?? 10_000;
    while (!tryCreate(lock)) {
        const owner = readText(lock);
        const pid = owner?.startsWith(OWNER) ? Number(owner.slice(OWNER.length)) : undefined;
        if (pid !== undefined && !alive(pid)) {
            // Left by a run that was killed while holding it: take it over, if it is still that one.
            if (readText(lock) === owner) unlinkSync(lock);
            process.stderr.write(`taking over ${lock}: its owner (pid ${pid}) is gone\n`);
            continue;
        }
        const waited = Date.now() - started;
        if (pid === undefined && owner !== undefined && waited > foreignTimeoutMs) {
            const since = statSync(lock, { throwIfNoEntry: false })?.mtime.toISOString() ?? "?";
            throw new Error(`${lock} is held by another program (kubectl or kind?) since ${since}; if none is running, remove it`);
        }
        if (waited > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${lock}, held by pid ${pid}`);
        sleepSync(50);
    }
    const release = () => {
        if (readText(lock) === `${OWNER}${process.pid}\n`) unlinkSync(lock);
    };
    const onSignal = (signal: NodeJS.Signals) => {
        release();
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const signal of signals) process.once(signal, onSignal);
    try {
        return body();
    } finally {
        release();
        for (const signal of signals) process.removeListener(signal, onSignal);
    }
}
