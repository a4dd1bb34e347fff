// A stack of the program on a file backend of the test's own, run by the real Pulumi CLI inside the
// test network, the way a user runs it (`pulumi up --yes`, `pulumi preview`, ...).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { projectCopy } from "../real-tools";
import { RunResult, TestNetwork } from "./netns";

export const CONFIG = "istio-multicluster";

export class TestStack {
    public readonly dir: string;
    public readonly env: NodeJS.ProcessEnv;

    private constructor(
        private readonly net: TestNetwork,
        base: string,
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

    /** Runs the CLI in the project, inside the test network. */
    pulumi(args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 900_000): Promise<RunResult> {
        return this.net.run("pulumi", [...args, "--non-interactive"], {
            cwd: this.dir,
            env: { ...this.env, ...extraEnv },
            timeoutMs,
        });
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

/** The last lines of a CLI run, enough to see why it failed. */
export function tail(text: string, lines = 60): string {
    return text.trim().split("\n").slice(-lines).join("\n");
}
