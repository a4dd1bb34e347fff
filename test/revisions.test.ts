// The revision plan of a canary upgrade: each step, its re-run, rollback, the migration from the
// unrevisioned istiod of earlier releases, and the configs refused before anything is declared.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../components/config";
import { Revision, compareVersions, planRevisions, revisionName, runningRevisions } from "../components/revisions";
import { configFrom } from "./harness";

const rev = (version: string, ...tags: ("default" | "canary")[]): Revision => ({ revision: revisionName(version), version, tags });

/** Plans, then checks that a second update with the same config plans the same (idempotent). */
function plan(version: string, canary: string | undefined, running: Revision[]) {
    const result = planRevisions(version, canary, running);
    assert.deepEqual(planRevisions(version, canary, result.revisions), result, "a second update plans the same");
    return result;
}

test("revision names are DNS labels; versions order numerically, a pre-release before its release", () => {
    assert.equal(revisionName("1.31.4"), "1-31-4");
    assert.equal(revisionName("1.32.0-beta.1"), "1-32-0-beta-1");
    assert.ok(compareVersions("1.31.10", "1.31.9") > 0);
    assert.ok(compareVersions("1.32.0-beta.1", "1.32.0") < 0);
    assert.equal(compareVersions("1.31.4", "1.31.4"), 0);
});

test("a fresh stack: one revision of istioVersion, the default tag on it", () => {
    assert.deepEqual(plan("1.31.1", undefined, []), {
        revisions: [rev("1.31.1", "default")],
        defaultRevision: "1-31-1",
        baseVersion: "1.31.1",
    });
});

test("steps 1, 2, 3: canary beside, promote keeping the old, clean up; the CRDs follow the newest version", () => {
    const step0 = plan("1.31.1", undefined, []);
    const step1 = plan("1.31.1", "1.31.4", step0.revisions);
    assert.deepEqual(step1, {
        revisions: [rev("1.31.1", "default"), rev("1.31.4", "canary")],
        defaultRevision: "1-31-1",
        canaryRevision: "1-31-4",
        baseVersion: "1.31.4",
    });
    const step2 = plan("1.31.4", "1.31.4", step1.revisions);
    assert.deepEqual(step2, { revisions: [rev("1.31.4", "default"), rev("1.31.1")], defaultRevision: "1-31-4", baseVersion: "1.31.4" });
    const step3 = plan("1.31.4", undefined, step2.revisions);
    assert.deepEqual(step3, { revisions: [rev("1.31.4", "default")], defaultRevision: "1-31-4", baseVersion: "1.31.4" });

    // Rollback while the old revision runs: step 2 in reverse is step 1's layout.
    assert.deepEqual(plan("1.31.1", "1.31.4", step2.revisions), step1);
    // Abandoning a canary: remove the key.
    assert.deepEqual(plan("1.31.1", undefined, step1.revisions), step0);
    // After step 3, a newer canary starts the next upgrade.
    assert.deepEqual(plan("1.31.4", "1.31.5", step3.revisions).revisions, [rev("1.31.4", "default"), rev("1.31.5", "canary")]);
    // A canary older than the current version is a rollback target while it still runs.
    assert.deepEqual(plan("1.31.4", "1.31.1", step2.revisions).revisions, [rev("1.31.4", "default"), rev("1.31.1", "canary")]);
});

test("refused: an older canary that does not run, the same version twice with nothing to keep, moving the default while removing it", () => {
    const step3 = [rev("1.31.4", "default")];
    assert.throws(
        () => planRevisions("1.31.4", "1.31.1", step3),
        new ConfigError(
            'Invalid config istio-multicluster:istioCanary = "1.31.1": it is older than istio-multicluster:istioVersion 1.31.4; ' +
                "a canary older than the current version is a rollback: to a revision that still runs " +
                "(running: revision 1-31-4 (1.31.4)), set istio-multicluster:istioVersion to its version; " +
                "to a version that no longer runs, say so with pulumi config set istio-multicluster:istioDowngrade true.",
        ),
    );
    // Said explicitly: the older version runs as a canary first, then is promoted like any other.
    const down = planRevisions("1.31.4", "1.31.1", step3, { downgrade: true });
    assert.deepEqual(down.revisions, [rev("1.31.4", "default"), rev("1.31.1", "canary")]);
    assert.deepEqual(planRevisions("1.31.1", "1.31.1", down.revisions).revisions, [rev("1.31.1", "default"), rev("1.31.4")]);
    assert.throws(
        () => planRevisions("1.31.1", "1.31.1", []),
        /^ConfigError: Invalid config istio-multicluster:istioCanary = "1.31.1": it equals istio-multicluster:istioVersion and no other revision runs/,
    );
    assert.throws(() => planRevisions("1.31.4", "1.31.4", step3), /nothing to promote from/);
    // istioVersion changed without a canary: the running default would go in the same update.
    assert.throws(
        () => planRevisions("1.31.4", undefined, [rev("1.31.1", "default")]),
        new ConfigError(
            'istio-multicluster:istioVersion "1.31.4" with istio-multicluster:istioCanary unset moves the default tag off revision 1-31-1 (1.31.1) ' +
                "and removes it in the same update: workloads on it would lose their control plane. Upgrade in steps: " +
                "pulumi config set istio-multicluster:istioCanary 1.31.4 (step 1, a canary beside it), then istio-multicluster:istioVersion 1.31.4 " +
                "(step 2, keeps 1-31-1 running), then pulumi config rm istio-multicluster:istioCanary (step 3).",
        ),
    );
    // Rolling back after the old revision was removed, or promoting and removing in one step.
    assert.throws(
        () => planRevisions("1.31.1", undefined, [rev("1.31.4", "default"), rev("1.31.1")]),
        /moves the default tag off revision 1-31-4/,
    );
    assert.throws(
        () => planRevisions("1.31.4", undefined, [rev("1.31.1", "default"), rev("1.31.4", "canary")]),
        /removes it in the same update/,
    );
});

test("the unrevisioned istiod of earlier releases: kept beside the new revision with istioCanary = istioVersion, then removed", () => {
    const legacy = runningRevisions({ istioVersion: "1.31.1", meshId: "mesh1" });
    assert.deepEqual(legacy, [{ revision: "", version: "1.31.1", tags: ["default"] }]);
    assert.throws(
        () => planRevisions("1.31.1", undefined, legacy),
        new ConfigError(
            "This stack runs the unrevisioned istiod (1.31.1) of an earlier release of this program; " +
                'istio-multicluster:istioVersion "1.31.1" with istio-multicluster:istioCanary unset would remove it in the same update that ' +
                "moves injection to revision 1-31-1, and workloads it injected would lose their control plane. " +
                "Move without a gap: pulumi config set istio-multicluster:istioCanary 1.31.1 && pulumi up " +
                "(installs revision 1-31-1 beside it and moves this program's workloads), restart your own injected workloads, " +
                "then pulumi config rm istio-multicluster:istioCanary && pulumi up (removes the unrevisioned istiod).",
        ),
    );
    assert.throws(() => planRevisions("1.31.1", "1.31.4", legacy), /This stack runs the unrevisioned istiod \(1\.31\.1\)/);
    const migrated = plan("1.31.1", "1.31.1", legacy);
    assert.deepEqual(migrated.revisions, [rev("1.31.1", "default"), { revision: "", version: "1.31.1", tags: [] }]);
    assert.deepEqual(plan("1.31.1", undefined, migrated.revisions).revisions, [rev("1.31.1", "default")]);
    // Upgrading in the same move: the new version becomes the default, the unrevisioned one is kept.
    assert.deepEqual(plan("1.31.4", "1.31.4", legacy).revisions, [rev("1.31.4", "default"), { revision: "", version: "1.31.1", tags: [] }]);
    // Nothing in the outputs: a new stack.
    assert.deepEqual(runningRevisions({}), []);
    assert.deepEqual(runningRevisions(undefined), []);
});

test("istioCanary: a release version or empty for none", () => {
    assert.equal(configFrom({}).istioCanary, undefined);
    assert.equal(configFrom({ istioCanary: "" }).istioCanary, undefined);
    assert.equal(configFrom({ istioCanary: "1.31.4" }).istioCanary, "1.31.4");
    assert.throws(
        () => configFrom({ istioCanary: "latest" }),
        new ConfigError(
            'Invalid config istio-multicluster:istioCanary = "latest": must be a release version such as 1.31.4, or empty for no canary.',
        ),
    );
});

test("a canary change never removes a revision that runs: refused with the revision named and the step that removes it", () => {
    const afterStep1 = [rev("1.31.1", "default"), rev("1.31.4", "canary")];
    const afterStep2 = [rev("1.31.4", "default"), rev("1.31.1")];
    // After step 2, a new canary would drop the previous default that the user's workloads still use.
    assert.throws(
        () => planRevisions("1.31.4", "1.31.5", afterStep2),
        new ConfigError(
            'istio-multicluster:istioVersion "1.31.4" with istio-multicluster:istioCanary "1.31.5" would remove revision 1-31-1 (1.31.1) ' +
                "(kept after a promotion, for your workloads and a rollback), which still runs: pods it injected would lose their " +
                "control plane. Remove it on purpose first (restart or relabel your workloads, then pulumi config rm " +
                "istio-multicluster:istioCanary && pulumi up: step 3 removes every revision but 1-31-4), then set " +
                "istio-multicluster:istioCanary again.",
        ),
    );
    // During step 1, another canary would drop the one pods labelled istio.io/rev=canary run on.
    assert.throws(
        () => planRevisions("1.31.1", "1.31.5", afterStep1),
        /would remove revision 1-31-4 \(1\.31\.4\) \(tag canary\), which still runs: .*pulumi config rm istio-multicluster:istioCanary && pulumi up: step 3 removes every revision but 1-31-1/,
    );
    // A rollback past a kept revision would drop it too.
    const twoKept = [rev("1.31.5", "default"), rev("1.31.4"), rev("1.31.1")];
    assert.throws(() => planRevisions("1.31.1", "1.31.5", twoKept), /would remove revision 1-31-4 \(1\.31\.4\) \(kept after a promotion/);

    // Allowed: each step, the rollback, abandoning a canary (the key removed on purpose), step 3.
    assert.deepEqual(planRevisions("1.31.1", "1.31.4", [rev("1.31.1", "default")]).revisions, afterStep1);
    assert.deepEqual(planRevisions("1.31.4", "1.31.4", afterStep1).revisions, afterStep2);
    assert.deepEqual(planRevisions("1.31.1", "1.31.4", afterStep2).revisions, afterStep1);
    assert.deepEqual(planRevisions("1.31.1", undefined, afterStep1).revisions, [rev("1.31.1", "default")]);
    assert.deepEqual(planRevisions("1.31.4", undefined, afterStep2).revisions, [rev("1.31.4", "default")]);
    assert.deepEqual(planRevisions("1.31.5", undefined, twoKept).revisions, [rev("1.31.5", "default")]);
    // The same config again changes nothing.
    for (const running of [afterStep1, afterStep2]) {
        const again = planRevisions(
            running[0].version,
            running.find((r) => r.tags.includes("canary"))?.version ?? running[0].version,
            running,
        );
        assert.deepEqual(again.revisions, running);
    }
});
