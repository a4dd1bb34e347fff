// Edits of the user's kubeconfig that touch our entries only. Every edit: under the file's
// client-go lock, on the parsed document (the yaml library keeps other entries and comments),
// checked (nothing but our entries changed; kubectl can read the result) before anything is
// replaced, a backup of the previous file beside it, then an atomic rename.
import { chownSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isSeq, parseDocument } from "yaml";
import { withFileLock } from "./lock";
import { mustRun } from "./tool";

const LISTS = ["clusters", "contexts", "users"] as const;
type List = (typeof LISTS)[number];
type Entry = { name: string } & Record<string, unknown>;
/** Our entries: names per list. */
export type Owned = Record<List, string[]>;

/** The file kubectl writes to: the first of KUBECONFIG, else ~/.kube/config; symlinks followed. */
export function userKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
    const first = (env.KUBECONFIG ?? "").split(path.delimiter).find(Boolean) ?? path.join(env.HOME ?? homedir(), ".kube", "config");
    return existsSync(first) ? realpathSync(first) : path.resolve(first);
}

function parseKubeconfig(text: string, where: string): Document {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${where} is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
    if (doc.contents !== null && !isMap(doc.contents)) throw new Error(`${where} is not a kubeconfig (not a mapping)`);
    return doc;
}

function entries(config: any, list: List): Entry[] {
    return Array.isArray(config?.[list]) ? config[list] : [];
}

/** What changed beyond our entries, or [] (both texts parsed to plain data). */
function foreignChanges(before: any, after: any, owned: Owned): string[] {
    const problems: string[] = [];
    for (const list of LISTS) {
        const theirs = (config: any) => entries(config, list).filter((e) => !owned[list].includes(e?.name));
        if (!isDeepStrictEqual(theirs(before), theirs(after))) problems.push(`${list} not ours changed`);
    }
    const current = (config: any) => config?.["current-context"];
    const ownedContext = (name: unknown) => owned.contexts.includes(name as string);
    if (
        current(before) !== current(after) &&
        !(ownedContext(current(before)) || (current(before) === undefined && ownedContext(current(after))))
    ) {
        problems.push("current-context changed");
    }
    const rest = (config: any) =>
        Object.fromEntries(
            Object.entries(config ?? {}).filter(([k]) => !(LISTS as readonly string[]).includes(k) && k !== "current-context"),
        );
    if (!isDeepStrictEqual(rest(before), rest(after))) problems.push("other settings changed");
    return problems;
}

/**
 * Applies `edit` to the kubeconfig `file`; `owned` names every entry the edit may add, change or
 * remove. On any problem the file is left as it was, and the error says so.
 */
export function editKubeconfig(file: string, owned: Owned, edit: (doc: Document) => void): void {
    mkdirSync(path.dirname(file), { recursive: true });
    withFileLock(file, () => {
        const stat = statSync(file, { throwIfNoEntry: false });
        const before = stat ? readFileSync(file, "utf8") : undefined;
        const untouched = `${file} is unchanged`;
        let doc: Document;
        try {
            doc = before?.trim() ? parseKubeconfig(before, file) : new Document({ apiVersion: "v1", kind: "Config", preferences: {} });
        } catch (error) {
            throw new Error(`${(error as Error).message}: fix it or point KUBECONFIG elsewhere (${untouched})`);
        }
        edit(doc);
        const after = doc.toString();
        if (after === before) return;
        const problems = before?.trim() ? foreignChanges(parseDocument(before).toJS(), parseDocument(after).toJS(), owned) : [];
        if (problems.length > 0) throw new Error(`refusing to write ${file}: ${problems.join("; ")} (${untouched})`);

        const temp = path.join(path.dirname(file), `.${path.basename(file)}.istio-multicluster-${process.pid}`);
        try {
            writeFileSync(temp, after, { mode: stat ? stat.mode & 0o777 : 0o600 });
            if (stat && process.getuid?.() === 0) chownSync(temp, stat.uid, stat.gid);
            // kubectl itself must accept the result (this reads no certificate files).
            mustRun("kubectl", ["--kubeconfig", temp, "config", "view", "-o", "json"]);
            if (before !== undefined) writeFileSync(`${file}.istio-multicluster.bak`, before, { mode: 0o600 });
            renameSync(temp, file);
        } catch (error) {
            throw new Error(`${(error as Error).message} (${untouched})`);
        } finally {
            rmSync(temp, { force: true });
        }
    });
}

function removeEntries(doc: Document, list: List, names: string[]): void {
    const seq = doc.get(list);
    if (!isSeq(seq)) return;
    seq.items = seq.items.filter((item) => !(isMap(item) && names.includes(String(item.get("name")))));
}

function addEntry(doc: Document, list: List, entry: Entry): void {
    let seq = doc.get(list);
    if (!isSeq(seq)) {
        seq = doc.createNode([]);
        doc.set(list, seq);
    }
    (seq as any).add(doc.createNode(entry));
}

/** Entries kind names kind-<cluster> for cluster, user and context. */
const kindOwned = (cluster: string, context: string): Owned => ({
    clusters: [`kind-${cluster}`],
    users: [`kind-${cluster}`],
    contexts: [context, `kind-${cluster}`],
});

/**
 * Puts kind's entries for `cluster` into `file`, its context renamed to `context`; replaces an
 * earlier copy of them. Sets current-context only in a file that has none.
 */
export function mergeKindContext(file: string, cluster: string, context: string, kindKubeconfig: string): void {
    const source = parseDocument(kindKubeconfig).toJS();
    const pick = (list: List) => {
        const found = entries(source, list).find((e) => e.name === `kind-${cluster}`);
        if (!found) throw new Error(`kind's kubeconfig for ${cluster} has no ${list} entry kind-${cluster}`);
        return found;
    };
    const ours = { cluster: pick("clusters"), user: pick("users"), context: { ...pick("contexts"), name: context } };
    const owned = kindOwned(cluster, context);
    editKubeconfig(file, owned, (doc) => {
        for (const list of LISTS) removeEntries(doc, list, owned[list]);
        addEntry(doc, "clusters", ours.cluster);
        addEntry(doc, "users", ours.user);
        addEntry(doc, "contexts", ours.context);
        if (!doc.get("current-context")) doc.set("current-context", context);
    });
}

/** Removes what mergeKindContext added; current-context is unset if it was ours. */
export function removeKindContext(file: string, cluster: string, context: string): void {
    if (!existsSync(file)) return;
    const owned = kindOwned(cluster, context);
    editKubeconfig(file, owned, (doc) => {
        for (const list of LISTS) removeEntries(doc, list, owned[list]);
        if (owned.contexts.includes(String(doc.get("current-context")))) doc.delete("current-context");
    });
}
