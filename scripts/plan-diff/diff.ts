// What a change does to the declared mesh: two recorded programs compared resource by resource
// (by URN), grouped by cluster. Replacements are predicted from what forces one in the providers
// this program uses; secrets are never shown, only whether they changed.
import { isDeepStrictEqual } from "node:util";
import type { PlannedResource } from "./record";

export type Change = "add" | "remove" | "replace" | "update";

export interface InputChange {
    path: string;
    old: unknown;
    new: unknown;
}

export interface ResourceDiff {
    change: Change;
    type: string;
    name: string;
    group: string;
    changes: InputChange[];
    /** Why a replacement is expected. */
    reason?: string;
}

export interface PlanDiff {
    resources: ResourceDiff[];
    summary: Record<Change, number>;
}

/** Input names that hold credentials: shown as [secret] even where the program forgot to mark them. */
const SENSITIVE = /private|token|password|passphrase|KUBECONFIG_DATA|kubeconfig|ca-key|client-key/i;

const isSecret = (value: unknown) => value !== null && typeof value === "object" && "[secret]" in (value as object);

/** The inputs whose change replaces a resource rather than updating it in place. */
function replacingPaths(type: string): RegExp | undefined {
    if (type.startsWith("tls:")) return /.*/; // every input of the TLS provider forces a new resource
    if (type === "command:local:Command") return /^triggers(\.|$)/;
    if (type === "pulumi:providers:kubernetes") return /^clusterIdentifier$/;
    if (type === "kubernetes:helm.sh/v3:Release") return /^(name|namespace)$/;
    if (type === "kubernetes:core/v1:Secret") return /^(metadata\.(name|namespace)|type)$/;
    if (type.startsWith("kubernetes:")) return /^metadata\.(name|namespace)$/;
    return undefined;
}

/** A string that holds JSON (a command's environment variable): compared as the value it holds. */
function jsonIn(value: unknown): unknown {
    if (typeof value !== "string" || !/^[[{]/.test(value)) return undefined;
    try {
        return JSON.parse(value);
    } catch {
        return undefined;
    }
}

/** A list of clusters (objects with a clusterName): compared cluster by cluster, whatever their order. */
function byClusterName(value: unknown): Record<string, unknown> | undefined {
    if (!Array.isArray(value) || !value.every((v) => typeof v?.clusterName === "string")) return undefined;
    return Object.fromEntries(value.map((v) => [v.clusterName, v]));
}

function changedPaths(before: unknown, after: unknown, prefix = ""): InputChange[] {
    if (isDeepStrictEqual(before, after)) return [];
    const [jsonBefore, jsonAfter] = [jsonIn(before), jsonIn(after)];
    if (jsonBefore !== undefined && jsonAfter !== undefined) return changedPaths(jsonBefore, jsonAfter, prefix);
    const [listBefore, listAfter] = [byClusterName(before), byClusterName(after)];
    if (listBefore && listAfter) {
        const names = [...new Set([...Object.keys(listBefore), ...Object.keys(listAfter)])];
        return names.flatMap((n) => changedPaths(listBefore[n], listAfter[n], `${prefix}[${n}]`));
    }
    const name = prefix.split(".").pop() ?? "";
    const plain = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v) && !isSecret(v);
    if (plain(before) && plain(after)) {
        const keys = [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])].sort();
        return keys.flatMap((k) => changedPaths((before as any)[k], (after as any)[k], prefix ? `${prefix}.${k}` : k));
    }
    const shown = (v: unknown) => (v === undefined ? undefined : isSecret(v) || SENSITIVE.test(name) ? "[secret]" : v);
    return [{ path: prefix, old: shown(before), new: shown(after) }];
}

/** The cluster a resource belongs to: its provider's, or the cluster named in its name. */
function groupOf(r: PlannedResource): string {
    const named = /^(?:cluster|istio-)(\d+)\b/.exec(r.provider || r.name);
    return named ? `cluster${named[1]}` : "mesh-wide";
}

export function planDiff(base: PlannedResource[], head: PlannedResource[]): PlanDiff {
    const before = new Map(base.map((r) => [r.urn, r]));
    const after = new Map(head.map((r) => [r.urn, r]));
    const resources: ResourceDiff[] = [];
    for (const r of head) {
        const old = before.get(r.urn);
        if (!old) {
            resources.push({ change: "add", type: r.type, name: r.name, group: groupOf(r), changes: [] });
            continue;
        }
        const changes = changedPaths(old.inputs, r.inputs);
        if (old.provider !== r.provider) changes.push({ path: "(provider)", old: old.provider, new: r.provider });
        if (changes.length === 0) continue;
        const replacing = replacingPaths(r.type);
        const forcing = changes.find((c) => c.path === "(provider)" || replacing?.test(c.path));
        resources.push({
            change: forcing ? "replace" : "update",
            type: r.type,
            name: r.name,
            group: groupOf(r),
            changes,
            ...(forcing ? { reason: `${forcing.path} changed${r.deleteBeforeReplace ? " (deleted before it is replaced)" : ""}` } : {}),
        });
    }
    for (const r of base) {
        if (!after.has(r.urn)) resources.push({ change: "remove", type: r.type, name: r.name, group: groupOf(r), changes: [] });
    }
    // Mocks give a replaced resource the same outputs again; in a real run they are new (a new key,
    // a new certificate), so what takes them as inputs changes too.
    const replaced = new Map(
        resources.filter((r) => r.change === "replace").map((r) => [head.find((h) => h.name === r.name && h.type === r.type)!.urn, r.name]),
    );
    const listed = new Set(resources.map((r) => `${r.type}::${r.name}`));
    for (const r of head) {
        if (listed.has(`${r.type}::${r.name}`) || !before.has(r.urn)) continue;
        if (replaced.has(r.providerUrn)) {
            resources.push({
                change: "replace",
                type: r.type,
                name: r.name,
                group: groupOf(r),
                changes: [],
                reason: `its provider ${replaced.get(r.providerUrn)} is replaced`,
            });
        } else {
            const cause = r.inputDependencies.find((d) => replaced.has(d));
            if (!cause) continue;
            resources.push({
                change: "update",
                type: r.type,
                name: r.name,
                group: groupOf(r),
                changes: [],
                reason: `its inputs come from ${replaced.get(cause)}, which is replaced`,
            });
        }
        listed.add(`${r.type}::${r.name}`);
        replaced.set(r.urn, r.name);
    }
    const summary = { add: 0, remove: 0, replace: 0, update: 0 };
    for (const r of resources) summary[r.change]++;
    return { resources, summary };
}

const SIGN: Record<Change, string> = { add: "+", remove: "-", replace: "+-", update: "~" };
const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));

export function formatPlanDiff(diff: PlanDiff, title: string): string {
    const lines = [title];
    const groups = [...new Set(diff.resources.map((r) => r.group))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    for (const group of groups) {
        lines.push(`${group}:`);
        for (const r of diff.resources.filter((x) => x.group === group)) {
            const why = r.reason ? `  [${r.change === "replace" ? "replace: " : ""}${r.reason}]` : "";
            lines.push(`  ${SIGN[r.change].padEnd(2)} ${r.type} ${r.name}${why}`);
            for (const c of r.changes) lines.push(`       ${c.path}: ${show(c.old)} -> ${show(c.new)}`);
        }
    }
    const { add, remove, replace, update } = diff.summary;
    lines.push(
        add + remove + replace + update === 0
            ? "summary: no change to the declared mesh"
            : `summary: ${add} to add, ${remove} to remove, ${replace} to replace, ${update} to update, in ${groups.length} group(s): ${groups.join(", ")}`,
    );
    return lines.join("\n");
}
