// Which istiod revisions run, and where the `default` and `canary` tags point: a pure function of
// the config (istioVersion, istioCanary) and of what ran after the last update (the stack's own
// `istioRevisions` output). A canary upgrade is three config changes:
//   1. istioCanary = new        -> current (tag default) + new (tag canary)
//   2. istioVersion = new       -> new (tag default) + the old one, kept for a rollback
//   3. istioCanary removed      -> new only
import { CONFIG_NAMESPACE, ConfigError, MeshConfig } from "./config";

export type RevisionTag = "default" | "canary";

/** An istiod the program runs. `revision` "" is the unrevisioned `istiod` release of earlier releases. */
export interface Revision {
    revision: string;
    version: string;
    tags: RevisionTag[];
}

export interface RevisionPlan {
    /** The default revision first, then the canary, then those kept for a rollback. */
    revisions: Revision[];
    /** Where the `default` tag (and `istio-injection=enabled`) points. */
    defaultRevision: string;
    /** Where the `canary` tag (`istio.io/rev=canary`) points, if anywhere. */
    canaryRevision?: string;
    /** istio-base (the CRDs) follows the newest running version. */
    baseVersion: string;
}

/** The revision name of a version: 1.31.4 -> 1-31-4 (a DNS label, as resource names need). */
export function revisionName(version: string): string {
    return version.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

/** Orders release versions: numbers first, a pre-release before its release. */
export function compareVersions(a: string, b: string): number {
    const parse = (v: string) => {
        const [core, pre = ""] = v.split(/-(.*)/s);
        return { parts: core.split(".").map(Number), pre };
    };
    const x = parse(a);
    const y = parse(b);
    for (let k = 0; k < 3; k++) {
        const d = (x.parts[k] ?? 0) - (y.parts[k] ?? 0);
        if (d !== 0) return d;
    }
    if (x.pre === y.pre) return 0;
    if (x.pre === "") return 1;
    if (y.pre === "") return -1;
    return x.pre < y.pre ? -1 : 1;
}

export function describeRevision(r: Pick<Revision, "revision" | "version">): string {
    return r.revision === "" ? `the unrevisioned istiod (${r.version})` : `revision ${r.revision} (${r.version})`;
}

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

/**
 * The revisions to run. `running` is what the last update left (empty on a fresh stack).
 * Throws ConfigError for a step that would leave workloads without a control plane.
 */
export function planRevisions(
    istioVersion: string,
    istioCanary: string | undefined,
    running: Revision[],
    options: { downgrade?: boolean } = {},
): RevisionPlan {
    const current: Revision = { revision: revisionName(istioVersion), version: istioVersion, tags: ["default"] };
    const isRunning = (revision: string) => running.some((r) => r.revision === revision);
    let revisions: Revision[];

    if (istioCanary === undefined) {
        revisions = [current];
    } else if (istioCanary !== istioVersion) {
        const canary: Revision = { revision: revisionName(istioCanary), version: istioCanary, tags: ["canary"] };
        if (compareVersions(istioCanary, istioVersion) < 0 && !isRunning(canary.revision) && !options.downgrade) {
            throw new ConfigError(
                `Invalid config ${key("istioCanary")} = "${istioCanary}": it is older than ${key("istioVersion")} ${istioVersion}; ` +
                    `a canary older than the current version is a rollback: to a revision that still runs ` +
                    `(running: ${running.map(describeRevision).join(", ") || "none"}), set ${key("istioVersion")} to its version; ` +
                    `to a version that no longer runs, say so with pulumi config set ${key("istioDowngrade")} true.`,
            );
        }
        revisions = [current, canary];
    } else {
        // Promoted: the default tag is on the new version; every revision that ran before keeps
        // running (untagged) until istioCanary is removed, so a rollback is one config change.
        const kept = running.filter((r) => r.revision !== current.revision).map((r) => ({ ...r, tags: [] as RevisionTag[] }));
        if (kept.length === 0) {
            throw new ConfigError(
                `Invalid config ${key("istioCanary")} = "${istioCanary}": it equals ${key("istioVersion")} and no other revision runs ` +
                    `to keep beside it, so there is nothing to promote from. Remove it (pulumi config rm ${key("istioCanary")}), ` +
                    `or set a newer version to start a canary.`,
            );
        }
        revisions = [current, ...kept];
    }

    const previousDefault = running.find((r) => r.tags.includes("default"));
    if (
        previousDefault &&
        previousDefault.revision !== current.revision &&
        !revisions.some((r) => r.revision === previousDefault.revision)
    ) {
        throw new ConfigError(movesDefaultAndRemovesIt(previousDefault, istioVersion, istioCanary));
    }

    // With a canary set, every revision that runs stays: workloads the user injected with it (tag
    // canary, or a revision kept after a promotion) would lose their control plane. Revisions go
    // only in step 3 (istioCanary removed), which the user asks for by name.
    const dropped = running.filter((r) => !revisions.some((p) => p.revision === r.revision));
    if (istioCanary !== undefined && dropped.length > 0) {
        throw new ConfigError(removesRunning(dropped, istioVersion, istioCanary));
    }

    const canaryRevision = revisions.find((r) => r.tags.includes("canary"))?.revision;
    return {
        revisions,
        defaultRevision: current.revision,
        ...(canaryRevision ? { canaryRevision } : {}),
        baseVersion: revisions.map((r) => r.version).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b)),
    };
}

function removesRunning(dropped: Revision[], istioVersion: string, istioCanary: string): string {
    const what = (r: Revision) =>
        `${describeRevision(r)}${r.tags.length > 0 ? ` (tag ${r.tags.join(", ")})` : " (kept after a promotion, for your workloads and a rollback)"}`;
    const names = dropped.map(what).join(" and ");
    return (
        `${key("istioVersion")} "${istioVersion}" with ${key("istioCanary")} "${istioCanary}" would remove ${names}, which still ` +
        `${dropped.length > 1 ? "run" : "runs"}: pods it injected would lose their control plane. Remove it on purpose first ` +
        `(restart or relabel your workloads, then pulumi config rm ${key("istioCanary")} && pulumi up: step 3 removes every ` +
        `revision but ${revisionName(istioVersion)}), then set ${key("istioCanary")} again.`
    );
}

function movesDefaultAndRemovesIt(previous: Revision, istioVersion: string, istioCanary: string | undefined): string {
    const canary = istioCanary === undefined ? "unset" : `"${istioCanary}"`;
    if (previous.revision === "") {
        return (
            `This stack runs ${describeRevision(previous)} of an earlier release of this program; ` +
            `${key("istioVersion")} "${istioVersion}" with ${key("istioCanary")} ${canary} would remove it in the same update that ` +
            `moves injection to revision ${revisionName(istioVersion)}, and workloads it injected would lose their control plane. ` +
            `Move without a gap: pulumi config set ${key("istioCanary")} ${istioVersion} && pulumi up ` +
            `(installs revision ${revisionName(istioVersion)} beside it and moves this program's workloads), restart your own ` +
            `injected workloads, then pulumi config rm ${key("istioCanary")} && pulumi up (removes the unrevisioned istiod).`
        );
    }
    return (
        `${key("istioVersion")} "${istioVersion}" with ${key("istioCanary")} ${canary} moves the default tag off ` +
        `${describeRevision(previous)} and removes it in the same update: workloads on it would lose their control plane. ` +
        `Upgrade in steps: pulumi config set ${key("istioCanary")} ${istioVersion} (step 1, a canary beside it), ` +
        `then ${key("istioVersion")} ${istioVersion} (step 2, keeps ${previous.revision} running), then pulumi config rm ${key("istioCanary")} (step 3).`
    );
}

/** The plan for `config` after an update that left `running` (empty: a new stack). */
export function planForConfig(config: MeshConfig, running: Revision[] = []): RevisionPlan {
    return planRevisions(config.istioVersion, config.istioCanary, running, { downgrade: config.istioDowngrade });
}

/**
 * The stack outputs a later update reads back (runningRevisions, discoveryUpkeep), which plan-diff
 * carries from one planned update to the next. (`clusters`, which discovery's repairs also read, only
 * matters with the preflight on, which a plan never runs.)
 */
export const REMEMBERED_OUTPUTS = ["istioVersion", "istioRevisions", "discovery", "discoveryLayout", "discoveryRepairs"] as const;

/** What ran after the last update, from the stack's previous outputs. */
export function runningRevisions(outputs: Record<string, unknown> | undefined): Revision[] {
    const revisions = outputs?.istioRevisions;
    if (Array.isArray(revisions)) {
        return revisions.map((r: any) => ({ revision: String(r.revision), version: String(r.version), tags: [...(r.tags ?? [])] }));
    }
    // Earlier releases exported istioVersion and ran one unrevisioned istiod release of it.
    if (typeof outputs?.istioVersion === "string") return [{ revision: "", version: outputs.istioVersion, tags: ["default"] }];
    return [];
}
