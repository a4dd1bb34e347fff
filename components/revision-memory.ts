// What the last update left running, read from the stack's own outputs: a canary upgrade's steps
// differ by what ran before (step 2's config, "both keys the same version", keeps the previous
// default revision only because it ran). A read of the stack's last checkpoint, in previews too;
// on a new stack there are no outputs.
import * as pulumi from "@pulumi/pulumi";
import { Revision, runningRevisions } from "./revisions";

export function selfStackName(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

export function lastRunningRevisions(): Promise<Revision[]> {
    const self = new pulumi.StackReference("last-update", { name: selfStackName() });
    return new Promise((resolve) => self.outputs.apply((outputs) => resolve(runningRevisions(outputs))));
}
