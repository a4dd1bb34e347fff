// One side of `npm run plan-diff`: loads <project>/index.ts under the deterministic mocks of
// test/harness.ts with that project's own Pulumi.yaml and stack file, and prints its resources as
// JSON, secrets redacted. Run in a process of its own per side (a fresh module cache).
//   node --import tsx scripts/plan-diff/record.ts PROJECT_DIR    PLAN_STACK, PLAN_CONFIG (JSON overrides),
//   PLAN_LAST (JSON: the stack outputs of the last update, which the program reads back)
// prints {"resources": [...], "outputs": {"istioVersion": ..., "istioRevisions": ...}}.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Graph, recordOutcome, valueOf } from "../../test/harness";
import { REMEMBERED_OUTPUTS } from "../../components/revisions";
import { stackConfig } from "../stack-config";

export interface PlannedResource {
    urn: string;
    type: string;
    name: string;
    /** Name of the kubernetes provider it uses, if any. */
    provider: string;
    deleteBeforeReplace: boolean;
    /** URNs whose outputs it takes as inputs. */
    inputDependencies: string[];
    /** The URN of the provider resource it uses, if any. */
    providerUrn: string;
    inputs: unknown;
}

/** The stack outputs a later update reads back (components/revision-memory.ts). */
export type RememberedOutputs = Record<string, unknown>;

/**
 * The program in `dir` (its Pulumi.yaml and stack file, then `overrides`) under mocks, after an
 * update that left `last` as the stack's outputs.
 */
export async function recordStack(
    dir: string,
    overrides: Record<string, string> = {},
    stack = "dev",
    last: RememberedOutputs = {},
): Promise<{ graph: Graph; outputs: RememberedOutputs }> {
    // Preflight talks to docker and kind: a plan needs neither.
    pulumi.runtime.setAllConfig(stackConfig({ ...overrides, preflight: "false" }, { dir, stack }));
    const program = require.resolve(path.join(dir, "index.ts"));
    delete require.cache[program]; // evaluated afresh for each update
    const { graph, result, error } = await recordOutcome(() => require(program), { lastOutputs: last });
    if (error) throw error;
    const exported = (result ?? {}) as Record<string, unknown>;
    const outputs: RememberedOutputs = {};
    for (const key of REMEMBERED_OUTPUTS) {
        const value = exported[key];
        if (value !== undefined) outputs[key] = pulumi.Output.isInstance(value) ? await valueOf(value) : value;
    }
    return { graph, outputs };
}

export async function recordGraph(dir: string, overrides: Record<string, string> = {}, stack = "dev"): Promise<Graph> {
    return (await recordStack(dir, overrides, stack)).graph;
}

/** Its resources as a plan compares them: secrets redacted. */
export function plannedResources(graph: Graph): PlannedResource[] {
    return graph.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        provider: /::([^:]+)::[^:]*$/.exec(r.provider)?.[1] ?? "",
        deleteBeforeReplace: r.deleteBeforeReplace,
        inputDependencies: r.inputDependencies,
        providerUrn: r.provider.split("::").slice(0, -1).join("::"),
        inputs: r.redacted,
    }));
}

export async function recordProgram(dir: string, overrides: Record<string, string> = {}, stack = "dev"): Promise<PlannedResource[]> {
    return plannedResources(await recordGraph(dir, overrides, stack));
}

if (require.main === module) {
    const dir = path.resolve(process.argv[2] ?? ".");
    const last = JSON.parse(process.env.PLAN_LAST ?? "{}");
    recordStack(dir, JSON.parse(process.env.PLAN_CONFIG ?? "{}"), process.env.PLAN_STACK ?? "dev", last).then(
        ({ graph, outputs }) => process.stdout.write(JSON.stringify({ resources: plannedResources(graph), outputs })),
        (error) => {
            process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
            process.exitCode = 1;
        },
    );
}
