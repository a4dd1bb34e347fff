// npm run plan-diff -- --base REF [--config key=value ...] [--stack dev] [--json]
// What a change does to the mesh, with no cluster and no state: the program is evaluated under
// deterministic mocks at REF and in the working tree, each side with its own Pulumi.yaml and
// stack file, and the resources are compared per cluster. Exits 0 whatever the diff. The program
// reads back what the last update left running (its istioRevisions output): the base side gets
// that from --last, or else from evaluating the base twice (a second update of an unchanged
// stack), and the working tree gets the base's.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, symlinkSync } from "node:fs";
import * as path from "node:path";
import { parseConfigFlags, parseFlags, usageError } from "./cli";
import { withTempDir } from "./host/tool";
import { formatPlanDiff, planDiff } from "./plan-diff/diff";
import type { PlannedResource, RememberedOutputs } from "./plan-diff/record";

const ROOT = path.join(__dirname, "..");
const USAGE = `Usage: npm run plan-diff -- --base REF [options]

Evaluates the program under mocks at git REF and in the working tree and prints, per cluster, the
resources added, removed, replaced and updated, with the inputs that changed (secrets as [secret]).
Needs no cluster, no state and no Pulumi CLI. Exits 0 whatever the diff; 2 on bad arguments.

Options:
  --base REF           the commit, branch or tag to compare with (required)
  --config key=value   config for both sides, e.g. --config clusterCount=4 (repeatable; the
                       istio-multicluster: prefix is optional)
  --change key=value   config for the working tree only: what a \`pulumi config set\` would do
                       (repeatable), e.g. --change istioCanary=1.31.4
  --stack NAME         whose stack file each side reads if it has one (default dev)
  --last FILE          the stack's outputs after its last update (pulumi stack output --json >
                       FILE): what the base runs now; without it, the base as a settled stack
  --json               the diff as JSON
  -h, --help           this text
`;

/**
 * The program at `ref` as files in a temporary folder, with this checkout's dependencies. A stack
 * file is per user and untracked: if `ref` has none, the base reads this checkout's.
 */
function checkout(ref: string, dir: string, stack: string): void {
    const archive = spawnSync("git", ["archive", "--format=tar", ref], { cwd: ROOT, maxBuffer: 512 * 1024 * 1024 });
    if (archive.status !== 0) throw new Error(`git archive ${ref}: ${archive.stderr.toString().trim()}`);
    const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`extracting ${ref}: ${untar.stderr.toString().trim()}`);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const stackFile = `Pulumi.${stack}.yaml`;
    if (!existsSync(path.join(dir, stackFile)) && existsSync(path.join(ROOT, stackFile)))
        copyFileSync(path.join(ROOT, stackFile), path.join(dir, stackFile));
}

interface Side {
    resources: PlannedResource[];
    outputs: RememberedOutputs;
}

function record(dir: string, config: Record<string, string>, stack: string, last: RememberedOutputs, side: string): Side {
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "plan-diff", "record.ts"), dir], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: "", PLAN_CONFIG: JSON.stringify(config), PLAN_STACK: stack, PLAN_LAST: JSON.stringify(last) },
        maxBuffer: 256 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`evaluating the program at ${side} failed: ${result.stderr.trim()}`);
    return JSON.parse(result.stdout);
}

/** What a stack at the base runs once updated from scratch. */
function settledOutputs(dir: string, config: Record<string, string>, stack: string, side: string): RememberedOutputs {
    try {
        return record(dir, config, stack, {}, side).outputs;
    } catch (error) {
        // e.g. a base in the middle of a canary upgrade: what runs depends on the steps before.
        throw new Error(
            `${error instanceof Error ? error.message : String(error)}\nPass what the stack runs: --last FILE (pulumi stack output --json > FILE).`,
        );
    }
}

function readLast(file: string): RememberedOutputs {
    try {
        const outputs = JSON.parse(readFileSync(file, "utf8"));
        if (outputs === null || typeof outputs !== "object" || Array.isArray(outputs)) throw new Error("not a JSON object");
        return outputs;
    } catch (error) {
        usageError(
            USAGE,
            `--last ${file}: ${error instanceof Error ? error.message : String(error)} (expected \`pulumi stack output --json\`)`,
        );
    }
}

/**
 * The program's refusals name the `pulumi config set` that makes the first safe step; here that
 * step is a plan-diff of its own: say which.
 */
function withPlanDiffAdvice<T>(evaluate: () => T): T {
    try {
        return evaluate();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const step = /pulumi config set istio-multicluster:(\w+) (\S+?)(?: |$|\))/.exec(message);
        if (!step) throw error;
        const args = process.argv.slice(2).join(" ");
        throw new Error(`${message}\nTo see that first step with plan-diff: npm run plan-diff -- ${args} --change ${step[1]}=${step[2]}`);
    }
}

function main(): void {
    const flags = parseFlags(process.argv.slice(2), USAGE, {
        base: { type: "string" },
        config: { type: "string", multiple: true },
        change: { type: "string", multiple: true },
        stack: { type: "string" },
        json: { type: "boolean" },
        last: { type: "string" },
    });
    if (!flags.base) usageError(USAGE, "--base REF is required");
    const config = parseConfigFlags(flags.config ?? [], USAGE);
    const change = parseConfigFlags(flags.change ?? [], USAGE);
    const stack = flags.stack ?? "dev";
    const resolved = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${flags.base}^{commit}`], { cwd: ROOT, encoding: "utf8" });
    if (resolved.status !== 0) usageError(USAGE, `--base ${flags.base}: not a commit, branch or tag of this repository`);
    const commit = resolved.stdout.trim();
    withTempDir("plan-diff", (dir) => {
        checkout(commit, dir, stack);
        const baseSide = `${flags.base} (${commit.slice(0, 7)})`;
        const last = flags.last ? readLast(flags.last) : settledOutputs(dir, config, stack, baseSide);
        const base = record(dir, config, stack, last, baseSide);
        const head = withPlanDiffAdvice(() => record(ROOT, { ...config, ...change }, stack, base.outputs, "the working tree"));
        const diff = planDiff(base.resources, head.resources);
        const title = `plan-diff: ${flags.base} (${commit.slice(0, 7)}) -> working tree${
            Object.keys(config).length
                ? `, with ${Object.entries(config)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(" ")}`
                : ""
        }${
            Object.keys(change).length
                ? `, changing ${Object.entries(change)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(" ")}`
                : ""
        }`;
        process.stdout.write(
            flags.json ? `${JSON.stringify({ base: flags.base, commit, config, ...diff }, null, 2)}\n` : `${formatPlanDiff(diff, title)}\n`,
        );
    });
}

try {
    main();
} catch (error) {
    process.stderr.write(`plan-diff: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
}
