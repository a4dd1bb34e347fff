// A network of the tier's own: a network namespace (with a PID namespace) that this test
// process creates and that ends with it. Everything that talks to the clusters (API servers,
// kwok, the Pulumi CLI and its plugins, kubectl, the chart repository) runs inside, through
// `nsenter`; inside, `lo` is up and carries ADDRESS_RANGE, so every address of that range can be
// bound and dialled, and nothing outside the namespace can be reached at all.
//
// Cleanup does not depend on this process exiting well: the namespace's first process (PID 1 of
// its PID namespace) reads its stdin until this process goes, and when it ends the kernel kills
// every process left in the namespace (API servers, etcd, kwok, istiod).
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/** Assigned to `lo` inside the namespace: the tier's API servers, nodes, pods and load balancers (kwok.ts). */
export const ADDRESS_RANGE = "10.240.0.0/12";

export interface RunResult {
    status: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    input?: string;
    timeoutMs?: number;
    /** Samples the resident memory of the command's whole process tree while it runs. */
    peakMemory?: PeakMemory;
}

/**
 * The most memory a process tree held at once, sampled every 500 ms: the sum of its processes'
 * proportional set sizes (PSS: a page shared by k processes counts 1/k in each, so the plugin
 * binaries that several processes map count once), and, for comparison, the sum of their resident
 * set sizes (which counts shared pages once per process). KiB.
 */
export class PeakMemory {
    public pssKiB = 0;
    public rssKiB = 0;

    /** Samples the tree under host PID `root` every `everyMs` until `done` settles. */
    watch(root: number, done: Promise<unknown>, everyMs = 500): void {
        let running = true;
        void done.finally(() => (running = false));
        const sample = () => {
            if (!running) return;
            const now = treeMemoryKiB(root);
            this.pssKiB = Math.max(this.pssKiB, now.pss);
            this.rssKiB = Math.max(this.rssKiB, now.rss);
            setTimeout(sample, everyMs);
        };
        sample();
    }
}

/** PSS and RSS (KiB) of a process and all its descendants, summed, read from the host's /proc. */
function treeMemoryKiB(root: number): { pss: number; rss: number } {
    const total = { pss: 0, rss: 0 };
    const pending = [root];
    while (pending.length > 0) {
        const pid = pending.pop()!;
        try {
            const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
            total.pss += Number(/^Pss:\s+(\d+) kB$/m.exec(rollup)?.[1] ?? 0);
            total.rss += Number(/^Rss:\s+(\d+) kB$/m.exec(rollup)?.[1] ?? 0);
            for (const task of readdirSync(`/proc/${pid}/task`)) {
                const children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
                if (children) pending.push(...children.split(/\s+/).map(Number));
            }
        } catch {
            continue; // ended meanwhile
        }
    }
    return total;
}

const asRoot = process.getuid?.() === 0;

/** Why the tier cannot make its network here, or undefined. */
export function networkUnavailable(): string | undefined {
    for (const tool of ["unshare", "nsenter", "ip"]) {
        const found = spawnSyncQuiet("bash", ["-c", `command -v ${tool}`]);
        if (found !== 0) return `needs ${tool} (apt-get install util-linux iproute2 on Debian, Ubuntu; elsewhere the same packages)`;
    }
    const probe = spawnSyncQuiet("unshare", [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "true"]);
    if (probe !== 0) {
        return asRoot
            ? "needs to create a network namespace (unshare --net failed: a container without CAP_SYS_ADMIN?)"
            : "needs to create a user and network namespace as this user (unshare --user --map-root-user --net failed: allow it with sysctl kernel.unprivileged_userns_clone=1, or run the tests as root)";
    }
    return undefined;
}

function spawnSyncQuiet(cmd: string, args: string[]): number {
    return spawnSync(cmd, args, { stdio: "ignore" }).status ?? 1;
}

export interface Daemon {
    /** Its PID inside the namespace. */
    pid: string;
    /** Resolves when it has ended. */
    exited: Promise<void>;
    stop(): Promise<void>;
}

export class TestNetwork {
    private constructor(
        private readonly holder: ChildProcess,
        /** The host PID of the namespace's first process, which nsenter targets. */
        private readonly pid: number,
        /** The HOME of whatever runs inside without one of its own (kubectl's caches, helm's settings). */
        private readonly home: string,
    ) {}

    /** `home`: a folder of the test's own that stands in for HOME inside (never the user's). */
    static async create(home: string): Promise<TestNetwork> {
        // bash, not sh: PID 1 inherits every orphan, and bash reaps them where dash leaves zombies,
        // which kwokctl would take for components still running (and never start again).
        const setup = `ip link set lo up && ip addr add ${ADDRESS_RANGE} dev lo && echo ready && read -r _`;
        const holder = spawn(
            "unshare",
            [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "--pid", "--fork", "--kill-child", "bash", "-c", setup],
            { stdio: ["pipe", "pipe", "pipe"] },
        );
        let stderr = "";
        holder.stderr!.on("data", (chunk) => (stderr += chunk));
        await new Promise<void>((resolve, reject) => {
            holder.once("exit", (code) => reject(new Error(`the test network did not start (exit ${code}): ${stderr.trim()}`)));
            holder.stdout!.once("data", () => resolve());
        });
        // unshare --fork: the namespace's PID 1 is unshare's only child.
        const children = readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, "utf8").trim().split(/\s+/);
        return new TestNetwork(holder, Number(children[0]), home);
    }

    private enter(): string[] {
        return ["--target", String(this.pid), ...(asRoot ? [] : ["--user", "--preserve-credentials"]), "--net", "--pid", "--"];
    }

    /** Starts `cmd` inside the namespace; with the user's own HOME, it gets the network's instead. */
    spawn(cmd: string, args: string[], options: RunOptions & { stdio?: "pipe" | "ignore" } = {}): ChildProcess {
        const env = options.env ?? process.env;
        return spawn("nsenter", [...this.enter(), cmd, ...args], {
            cwd: options.cwd,
            env: { ...env, HOME: env.HOME && env.HOME !== process.env.HOME ? env.HOME : this.home },
            stdio: options.stdio === "ignore" ? "ignore" : "pipe",
        });
    }

    /** Runs `cmd` inside the namespace to its end; never throws for a non-zero exit. */
    run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
        return new Promise((resolve) => {
            const child = this.spawn(cmd, args, options);
            let stdout = "";
            let stderr = "";
            child.stdout!.on("data", (chunk) => (stdout += chunk));
            child.stderr!.on("data", (chunk) => (stderr += chunk));
            const timer = options.timeoutMs
                ? setTimeout(() => {
                      stderr += `\n(killed after ${options.timeoutMs} ms)`;
                      child.kill("SIGKILL");
                  }, options.timeoutMs)
                : undefined;
            const closed = new Promise<void>((done) =>
                child.on("close", (code, signal) => {
                    if (timer) clearTimeout(timer);
                    resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr });
                    done();
                }),
            );
            if (options.peakMemory && child.pid) options.peakMemory.watch(child.pid, closed);
            // A command that ends before reading its input closes the pipe: not an error of ours.
            child.stdin!.on("error", () => undefined);
            child.stdin!.end(options.input);
        });
    }

    /** Like `run`, but a non-zero exit is an error carrying the command's output. */
    async mustRun(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
        const result = await this.run(cmd, args, options);
        if (result.status !== 0) {
            throw new Error(`${cmd} ${args.join(" ")} failed (exit ${result.status}):\n${result.stderr.trim() || result.stdout.trim()}`);
        }
        return result.stdout;
    }

    /**
     * Starts a long-running `cmd` inside the namespace, its output appended to `log`; resolves with
     * its PID there, by which `stop` ends it (nsenter itself passes no signal on).
     */
    async daemon(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; log: string }): Promise<Daemon> {
        const child = this.spawn("sh", ["-c", 'echo $$; exec "$0" "$@" >>"$DAEMON_LOG" 2>&1', cmd, ...args], {
            cwd: options.cwd,
            env: { ...options.env, DAEMON_LOG: options.log },
        });
        const pid = await new Promise<string>((resolve, reject) => {
            child.once("exit", (code) => reject(new Error(`${cmd} did not start (exit ${code})`)));
            child.stdout!.once("data", (chunk) => resolve(String(chunk).trim()));
        });
        child.stdout!.destroy();
        child.unref();
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        return {
            pid,
            exited,
            stop: async () => {
                await this.run("kill", [pid]);
                await exited;
            },
        };
    }

    /** The resident memory (KiB) of every process named `name` running inside the namespace, read from the host's /proc. */
    residentMemory(name: string): number[] {
        const netns = readlinkSync(`/proc/${this.pid}/ns/net`);
        const found: number[] = [];
        for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
            try {
                if (readlinkSync(`/proc/${pid}/ns/net`) !== netns) continue;
                if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== name) continue;
                const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
                if (rss) found.push(Number(rss));
            } catch {
                continue; // ended meanwhile, or not ours to read
            }
        }
        return found;
    }

    /**
     * CPU seconds (user + system) used so far by each long-running process inside the namespace, by
     * host PID: read twice, the difference is what the clusters (API servers, etcd, kwok, istiods) spent.
     */
    cpuSeconds(): Map<string, number> {
        const netns = readlinkSync(`/proc/${this.pid}/ns/net`);
        const found = new Map<string, number>();
        for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
            try {
                if (readlinkSync(`/proc/${pid}/ns/net`) !== netns) continue;
                const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
                const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
                // utime and stime, in clock ticks (100 a second on Linux); keyed with the start time, so a reused PID is another process.
                found.set(`${pid}@${fields[19]}`, (Number(fields[11]) + Number(fields[12])) / 100);
            } catch {
                continue;
            }
        }
        return found;
    }

    /** Ends the namespace: its first process exits, and the kernel kills every process left inside. */
    async close(): Promise<void> {
        if (this.holder.exitCode !== null) return;
        const exited = new Promise((resolve) => this.holder.once("exit", resolve));
        this.holder.stdin!.end();
        await exited;
    }
}
