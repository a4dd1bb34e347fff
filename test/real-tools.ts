// The real-tools tier: real Pulumi CLI and language host (scripts/real-tools/build.sh), run on a
// throwaway copy of the project with its own file backend, PULUMI_HOME and passphrase.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const ROOT = path.join(__dirname, "..");

/** The folder of `tool` on PATH, or undefined. */
export function which(tool: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    const result = spawnSync("bash", ["-c", `command -v ${tool}`], { env, encoding: "utf8" });
    return result.status === 0 ? result.stdout.trim() : undefined;
}

const BUILD = 'eval "$(bash scripts/real-tools/build.sh)": built from the Go module proxy, with Go 1.25+';

/** How to get each tool a tier needs, on Debian or Ubuntu and in general. */
export const HOW_TO_GET: Record<string, string> = {
    pulumi: BUILD,
    "pulumi-language-nodejs": BUILD,
    kind: BUILD,
    kubectl: `${BUILD}, or any kubectl 1.35 - 1.37 (https://kubernetes.io/docs/tasks/tools/)`,
    "kube-apiserver": BUILD,
    "kube-controller-manager": BUILD,
    "kube-scheduler": BUILD,
    etcd: BUILD,
    kwok: BUILD,
    kwokctl: BUILD,
    helm: BUILD,
    "pilot-discovery": BUILD,
    "xds-client": BUILD,
    go: "Go 1.25+ from https://go.dev/dl/ (Debian's golang-go is older)",
    openssl: "apt-get install openssl (Debian, Ubuntu); elsewhere your system's openssl package",
    busybox: "apt-get install busybox-static (Debian, Ubuntu); elsewhere a statically linked busybox on PATH",
    docker: "apt-get install docker.io and start dockerd (Debian, Ubuntu); elsewhere Docker Engine (https://docs.docker.com/engine/install/)",
};

/** "needs a, b on PATH: <how>; c: <how>": each missing tool with the command that brings it, once per command. */
export function describeMissing(missing: string[]): string {
    const byAdvice = new Map<string, string[]>();
    for (const tool of missing) {
        const advice = HOW_TO_GET[tool] ?? "install it";
        byAdvice.set(advice, [...(byAdvice.get(advice) ?? []), tool]);
    }
    return `needs ${[...byAdvice].map(([advice, tools]) => `${tools.join(", ")} (${advice})`).join("; ")}`;
}

/** Why a real-tools test cannot run here, or undefined; in CI a missing tool is a failure, not a skip. */
export function missingTools(tools: string[]): string | undefined {
    const missing = tools.filter((tool) => !which(tool));
    if (missing.length === 0) return undefined;
    const why = describeMissing(missing);
    if (process.env.CI === "true") throw new Error(`CI runs the real-tools tier: ${why}`);
    return why;
}

export interface PulumiRun {
    status: number;
    stdout: string;
    stderr: string;
}

export interface PulumiProject {
    dir: string;
    /** The file backend's folder (PULUMI_BACKEND_URL). */
    backend: string;
    /** A HOME of its own; PULUMI_* point into the project's temporary folder. */
    env: NodeJS.ProcessEnv;
    /** Runs a bash command line in the project copy, as a user would type it. */
    shell(line: string, env?: Record<string, string>): PulumiRun;
    run(args: string[], env?: Record<string, string>): PulumiRun;
    /** The stack file as it is now (`pulumi up --config k=v` writes into it). */
    stackFile(): string;
    /** Puts the stack file back as `pulumi stack init` left it. */
    resetStack(): void;
    remove(): void;
}

/**
 * Runs a command in a network namespace of its own with only `lo` up: the CLI, its language host
 * and plugins talk to each other on 127.0.0.1, and nothing can reach the real network (a plugin that
 * tries, say for a chart repository, gets an error at once instead of a request going out).
 */
function offline(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): PulumiRun {
    const asRoot = process.getuid?.() === 0;
    const isolate = [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "sh", "-c", 'ip link set lo up && exec "$0" "$@"'];
    const result = spawnSync("unshare", [...isolate, cmd, ...args], { cwd, env, encoding: "utf8", timeout: 300_000 });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const PROJECT_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "components", "scripts", "README.md"];

/** The provider plugins scripts/real-tools/build.sh installed for the tests, or undefined. */
export const PLUGINS = process.env.ISTIO_MC_PULUMI_PLUGINS;

/**
 * A copy of the project in `base`/project (node_modules linked), and the environment the CLI runs
 * it with: a HOME and PULUMI_HOME of its own (the plugins of build.sh linked in, never the
 * user's), no update check, no plugin download, and (unless `asUser`) a file backend in `base`
 * and a generated passphrase.
 */
export function projectCopy(base: string, options: { asUser?: boolean } = {}): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = path.join(base, "project");
    for (const file of PROJECT_FILES) cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: true });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const pulumiHome = path.join(base, "pulumi-home");
    mkdirSync(pulumiHome);
    if (PLUGINS) symlinkSync(PLUGINS, path.join(pulumiHome, "plugins"));
    const user = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("PULUMI_") && !["STACK", "XDG_CONFIG_HOME"].includes(k)),
    );
    const env: NodeJS.ProcessEnv = {
        ...user,
        NODE_OPTIONS: "",
        HOME: path.join(base, "home"),
        PULUMI_HOME: pulumiHome,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...(options.asUser ? {} : { PULUMI_BACKEND_URL: `file://${base}`, PULUMI_CONFIG_PASSPHRASE: `test-${process.pid}-${Date.now()}` }),
    };
    return { dir, env };
}

/**
 * A copy of the project (node_modules linked) with stack `dev` on a temporary file backend.
 * `asUser`: no PULUMI_* settings and no stack, as on a new machine (HOME is temporary).
 * `env`: more settings for every command, from `pulumi stack init` on.
 */
export function pulumiProject(options: { asUser?: boolean; env?: Record<string, string> } = {}): PulumiProject {
    const base = mkdtempSync(path.join(tmpdir(), "istio-mc-engine-"));
    const copy = projectCopy(base, options);
    const { dir } = copy;
    const env = { ...copy.env, ...options.env };
    const project: PulumiProject = {
        dir,
        backend: base,
        env,
        shell: (line, extra = {}) => offline("bash", ["-c", line], dir, { ...env, ...extra }),
        run: (args, extra = {}) => offline("pulumi", [...args, "--non-interactive"], dir, { ...env, ...extra }),
        stackFile: () => readFileSync(stackFile, "utf8"),
        resetStack: () => (initial === undefined ? rmSync(stackFile, { force: true }) : writeFileSync(stackFile, initial)),
        remove: () => rmSync(base, { recursive: true, force: true }),
    };
    const stackFile = path.join(dir, "Pulumi.dev.yaml");
    if (!options.asUser) {
        const init = project.run(["stack", "init", "dev"]);
        if (init.status !== 0) throw new Error(`pulumi stack init dev: ${init.stderr}`);
    }
    const initial = existsSync(stackFile) ? project.stackFile() : undefined;
    return project;
}
