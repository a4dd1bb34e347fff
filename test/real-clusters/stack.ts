// A stack of the program on a file backend of the test's own, run by the real Pulumi CLI inside the
// test network, the way a user runs it (`pulumi up --yes`, `pulumi preview`, ...).
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { projectCopy } from "../real-tools";
import { PeakMemory, RunResult, TestNetwork } from "./netns";

export const CONFIG = "istio-multicluster";

export class TestStack {
    public readonly dir: string;
    public readonly env: NodeJS.ProcessEnv;

    private constructor(
        private readonly net: TestNetwork,
        /** The file backend's folder (PULUMI_BACKEND_URL). */
        private readonly base: string,
        kubeconfig: string,
    ) {
        const copy = projectCopy(base);
        this.dir = copy.dir;
        // The Kubernetes provider leaves kubeconfig files in TMPDIR: they go with the case's folder.
        const tmp = path.join(base, "tmp");
        mkdirSync(tmp);
        this.env = { ...copy.env, KUBECONFIG: kubeconfig, TMPDIR: tmp };
    }

    /** A project copy in `base` with stack `dev`, whose kube contexts come from `kubeconfig`. */
    static async create(net: TestNetwork, base: string, kubeconfig: string): Promise<TestStack> {
        const stack = new TestStack(net, base, kubeconfig);
        const init = await stack.pulumi(["stack", "init", "dev"]);
        if (init.status !== 0) throw new Error(`pulumi stack init dev: ${init.stderr}`);
        return stack;
    }

    /**
     * Runs the CLI in the project (or, with `options.project`, in another checkout of the program on
     * the same stack), inside the test network.
     */
    pulumi(args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 900_000, options: { project?: string } = {}): Promise<RunResult> {
        if (options.project) writeFileSync(path.join(options.project, "Pulumi.dev.yaml"), readFileSync(this.stackFile, "utf8"));
        // The stack selected for this project is remembered per project folder: name it for another.
        return this.net.run("pulumi", [...args, ...(options.project ? ["--stack", "dev"] : []), "--non-interactive"], {
            cwd: options.project ?? this.dir,
            env: { ...this.env, ...extraEnv },
            timeoutMs,
        });
    }

    /**
     * Like `pulumi`, and the CPU seconds (user + system) of the CLI's whole process tree (language host,
     * program, plugins, the commands they ran), as bash's `times` gives them for its finished children.
     */
    async pulumiTimed(
        args: string[],
        timeoutMs: number,
        peakMemory?: PeakMemory,
        extraEnv: NodeJS.ProcessEnv = {},
    ): Promise<RunResult & { cpuSeconds: number }> {
        const script = 'pulumi "$@" --non-interactive; status=$?; times >&2; exit $status';
        const result = await this.net.run("bash", ["-c", script, "pulumi", ...args], {
            cwd: this.dir,
            env: { ...this.env, ...extraEnv },
            timeoutMs,
            peakMemory,
        });
        const children = result.stderr.trim().split("\n").pop() ?? "";
        const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
        return { ...result, cpuSeconds: seconds };
    }

    /** The size in bytes of the checkpoint file the file backend keeps for stack `dev`. */
    checkpointBytes(): number {
        const stacks = path.join(this.base, ".pulumi", "stacks");
        // The project layout keeps it below organization/project/, the legacy layout right here.
        const file = readdirSync(stacks, { recursive: true, encoding: "utf8" }).find((f) => /(^|\/)dev\.json(\.gz)?$/.test(f));
        if (!file) throw new Error(`no checkpoint of stack dev below ${stacks}`);
        return statSync(path.join(stacks, file)).size;
    }

    /** Like `pulumi`, failing with the CLI's output unless it exits 0. */
    async mustPulumi(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
        const result = await this.pulumi(args, extraEnv);
        if (result.status !== 0) {
            throw new Error(`pulumi ${args.join(" ")} failed (exit ${result.status}):\n${tail(result.stdout + result.stderr)}`);
        }
        return result.stdout;
    }

    private get stackFile(): string {
        return path.join(this.dir, "Pulumi.dev.yaml");
    }

    /** The stack's config (keys without the project prefix), as `pulumi config set` would write it. */
    setConfig(values: Record<string, unknown>): void {
        const file = parse(readFileSync(this.stackFile, "utf8")) ?? {};
        file.config = {
            ...(file.config ?? {}),
            ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`${CONFIG}:${k}`, v])),
        };
        writeFileSync(this.stackFile, stringify(file));
    }

    removeConfig(...keys: string[]): void {
        const file = parse(readFileSync(this.stackFile, "utf8"));
        for (const key of keys) delete file.config?.[`${CONFIG}:${key}`];
        writeFileSync(this.stackFile, stringify(file));
    }

    /** The deployment as `pulumi stack export` gives it (secrets encrypted). */
    async exported(): Promise<{ text: string; resources: any[] }> {
        const text = await this.mustPulumi(["stack", "export"]);
        return { text, resources: JSON.parse(text).deployment.resources ?? [] };
    }

    async outputs(): Promise<Record<string, any>> {
        return JSON.parse(await this.mustPulumi(["stack", "output", "--json"]));
    }
}

/**
 * Why a CLI run failed: its error lines first (a CI log cut short after a few lines still shows
 * them), then its last lines.
 */
export function tail(text: string, lines = 60): string {
    const all = text.trim().split("\n");
    const errors = all.filter((line) => /\berror:|^\s*error /i.test(line)).slice(0, 20);
    const last = all.slice(-lines).join("\n");
    return errors.length > 0 ? `${errors.join("\n")}\n--- the last ${lines} lines:\n${last}` : last;
}
