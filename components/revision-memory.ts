// What the last update left running: the stack's own last `istioRevisions` output. A canary
// upgrade's steps differ by what ran before (step 2's config, "both keys the same version", keeps
// the previous default revision only because it ran).
//
// The record is written only after what it describes exists: index.ts resolves the output once
// every release and tag webhook of the update is done, so an update that fails keeps the previous
// record. It is read with the engine's own `readStackOutputs` function, in previews too, not with a
// StackReference resource: nothing lands in state (a refresh has nothing to compare), and a
// failed name is a catchable error rather than a failed resource, which matters because the two
// layouts of the DIY backend name a stack differently: `organization/<project>/<stack>` (the project
// layout, and Pulumi Cloud) and `<stack>` alone (the legacy layout, which rejects any '/').
import * as pulumi from "@pulumi/pulumi";

export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/** The names the stack can be read by, the fully qualified one first (right on every backend but the legacy layout). */
export function selfStackNames(): string[] {
    return [`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`, pulumi.getStack()];
}

/** The stack's outputs after its last update ({} for a new stack). */
export async function lastOutputs(): Promise<Record<string, unknown>> {
    const failures: string[] = [];
    for (const name of selfStackNames()) {
        try {
            const result = await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name });
            return result?.outputs ?? {};
        } catch (error) {
            failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        }
    }
    throw new Error(`cannot read this stack's last outputs (what its last update left running): ${failures.join("; ")}`);
}
