// Fake kind/docker executables first on PATH, with their state in a temp folder; the real kubectl.
import { tempDir } from "./temp";
import { spawnSync } from "child_process";
import { readFileSync, existsSync, writeFileSync } from "fs";
import * as path from "path";
import type { Graph, Recorded } from "./harness";

export const ROOT = path.join(__dirname, "..");
const FAKES = path.join(__dirname, "fakes");

export interface FakeHost {
    dir: string;
    state: string;
    kubeconfig: string;
    env: NodeJS.ProcessEnv;
    /** Calls made to the fakes, e.g. "kind create cluster --name istio-1 ...". */
    calls(): string[];
    run(script: string, args: string[], env?: Record<string, string>): { status: number; stdout: string; stderr: string };
    kubectl(...args: string[]): string;
}

export function fakeHost(extraEnv: Record<string, string> = {}): FakeHost {
    const dir = tempDir("istio-mc");
    const state = path.join(dir, "state");
    const kubeconfig = path.join(dir, "kube", "config");
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${FAKES}:${process.env.PATH}`,
        FAKE_STATE: state,
        KUBECONFIG: kubeconfig,
        HOME: dir,
        ...extraEnv,
    };
    spawnSync("mkdir", ["-p", state]);
    const host: FakeHost = {
        dir,
        state,
        kubeconfig,
        env,
        calls: () => {
            const log = path.join(state, "calls.log");
            return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
        },
        run: (script, args, runEnv = {}) => {
            const result = spawnSync("bash", [path.join(ROOT, "scripts", script), ...args], {
                env: { ...env, ...runEnv },
                encoding: "utf8",
                cwd: ROOT,
            });
            return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
        },
        kubectl: (...args) => {
            const result = spawnSync("kubectl", args, { env, encoding: "utf8" });
            if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`);
            return result.stdout;
        },
    };
    return host;
}

export function writeFile(file: string, content: string): void {
    spawnSync("mkdir", ["-p", path.dirname(file)]);
    writeFileSync(file, content);
}

/**
 * Runs the program's recorded host-side Commands (their `create` scripts, with their environment)
 * in dependency order against the fakes, as the Pulumi engine would. Returns stdout by URN.
 */
export function runCreates(graph: Graph, host: FakeHost, only: RegExp): Map<string, string> {
    const done = new Map<string, string>();
    const pending = graph.ofType("command:local:Command").filter((c) => only.test(c.inputs.create));
    while (pending.length > 0) {
        const next = pending.findIndex((c) => c.dependencies.every((d) => done.has(d) || !pending.some((p) => p.urn === d)));
        const [command] = pending.splice(next, 1) as Recorded[];
        const env = { ...command.inputs.environment };
        if (env.ARCHIVE) {
            // The archive path is the pull's stdout, which the mocks only pretend.
            const pull = graph.resources.find((r) => command.dependencies.includes(r.urn) && String(r.inputs.create).endsWith("pull"))!;
            env.ARCHIVE = done.get(pull.urn)!.trim();
        }
        const [script, verb] = String(command.inputs.create).replace("bash scripts/", "").split(" ");
        const result = host.run(script, [verb], env);
        if (result.status !== 0) throw new Error(`${command.name}: ${result.stderr}`);
        done.set(command.urn, result.stdout);
    }
    return done;
}
