// One side of `npm run plan-diff`: loads <project>/index.ts under the deterministic mocks of
// test/harness.ts with that project's own Pulumi.yaml and stack file, and prints its resources as
// JSON, secrets redacted. Run in a process of its own per side (a fresh module cache).
//   node --import tsx scripts/plan-diff/record.ts PROJECT_DIR    PLAN_STACK, PLAN_CONFIG (JSON overrides)
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Graph, recordOutcome } from "../../test/harness";
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

/** The program in `dir` (its Pulumi.yaml and stack file, then `overrides`) under mocks. */
export async function recordGraph(dir: string, overrides: Record<string, string> = {}, stack = "dev"): Promise<Graph> {
    // Preflight talks to docker and kind: a plan needs neither.
    pulumi.runtime.setAllConfig(stackConfig({ ...overrides, preflight: "false" }, { dir, stack }));
    const { graph, error } = await recordOutcome(() => require(path.join(dir, "index.ts")));
    if (error) throw error;
    return graph;
}

/** Its resources as a plan compares them: secrets redacted. */
export async function recordProgram(dir: string, overrides: Record<string, string> = {}, stack = "dev"): Promise<PlannedResource[]> {
    const graph = await recordGraph(dir, overrides, stack);
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

if (require.main === module) {
    recordProgram(path.resolve(process.argv[2] ?? "."), JSON.parse(process.env.PLAN_CONFIG ?? "{}"), process.env.PLAN_STACK ?? "dev").then(
        (resources) => process.stdout.write(JSON.stringify(resources)),
        (error) => {
            process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
            process.exitCode = 1;
        },
    );
}
