// What the tier reads back from its clusters with kubectl: the objects a mesh leaves, every object a
// cluster holds (to compare before and after), the kubeconfigs inside remote secrets.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { KwokCluster, KwokClusters } from "./kwok";

/** Kinds whose objects come and go by themselves (events, leader election, the API server's own). */
const CHURN = new Set(["events", "events.events.k8s.io", "leases.coordination.k8s.io", "endpoints", "endpointslices.discovery.k8s.io"]);

/** Every object in a cluster, as "resource namespace/name", sorted. */
export async function everything(clusters: KwokClusters, cluster: KwokCluster): Promise<string[]> {
    const resources = (await clusters.kubectl(cluster, ["api-resources", "--verbs=list", "-o", "name"]))
        .split("\n")
        .map((l) => l.trim())
        .filter((r) => r && !CHURN.has(r));
    const list = JSON.parse(await clusters.kubectl(cluster, ["get", resources.join(","), "--all-namespaces", "-o", "json"]));
    return list.items
        .map((item: any) => {
            const group = item.apiVersion.includes("/") ? `.${item.apiVersion.split("/")[0]}` : "";
            const where = item.metadata.namespace ? `${item.metadata.namespace}/` : "";
            return `${item.kind}${group} ${where}${item.metadata.name}`;
        })
        .sort();
}

/** What `after` holds that `before` did not. */
export function added(before: string[], after: string[]): string[] {
    const had = new Set(before);
    return after.filter((o) => !had.has(o));
}

export async function getJson(clusters: KwokClusters, cluster: KwokCluster, args: string[]): Promise<any> {
    return JSON.parse(await clusters.kubectl(cluster, ["get", ...args, "-o", "json"]));
}

/** The Helm releases of a namespace, from Helm's own records: name -> status of the newest revision. */
export async function helmReleases(clusters: KwokClusters, cluster: KwokCluster, namespace: string): Promise<Record<string, string>> {
    const secrets = await getJson(clusters, cluster, ["secrets", "-n", namespace, "-l", "owner=helm"]);
    const newest: Record<string, { version: number; status: string }> = {};
    for (const s of secrets.items) {
        const { name, version, status } = s.metadata.labels;
        if (!newest[name] || Number(version) > newest[name].version) newest[name] = { version: Number(version), status };
    }
    return Object.fromEntries(Object.entries(newest).map(([name, r]) => [name, r.status]));
}

/** Decodes a Secret's data. */
export function secretData(secret: any): Record<string, string> {
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), "base64").toString("utf8")]));
}

/** Writes the kubeconfig a remote secret carries to a private file and returns its path and content. */
export function remoteKubeconfig(dir: string, name: string, text: string): { file: string; config: any } {
    const file = path.join(dir, `${name}.kubeconfig`);
    writeFileSync(file, text, { mode: 0o600 });
    return { file, config: parse(text) };
}
