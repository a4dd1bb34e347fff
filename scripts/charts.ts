// Helm chart repositories, read the way helm reads them: the repository's index.yaml names every
// chart version and where its archive is. CHART_MIRROR (a base URL that serves https://host/path
// as /host/path) stands in for the network, for mirrors and tests.
import { parse } from "yaml";

export interface ChartRef {
    repo: string;
    name: string;
    version: string;
}

export async function download(url: string): Promise<Buffer> {
    const response = await fetch(url).catch((error: Error & { cause?: Error }) => {
        throw new Error(`GET ${url}: ${error.cause?.message ?? error.message}`);
    });
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
}

export function viaMirror(url: string, env: NodeJS.ProcessEnv = process.env): string {
    if (!env.CHART_MIRROR) return url;
    const { host, pathname } = new URL(url);
    return `${env.CHART_MIRROR.replace(/\/$/, "")}/${host}${pathname}`;
}

const indexes = new Map<string, Promise<any>>();

/** The archive URL of a chart version, or undefined when the repository does not have it. */
export async function chartArchiveUrl(chart: ChartRef, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
    const indexUrl = viaMirror(`${chart.repo.replace(/\/$/, "")}/index.yaml`, env);
    if (!indexes.has(indexUrl))
        indexes.set(
            indexUrl,
            download(indexUrl).then((body) => parse(body.toString("utf8"))),
        );
    const index = await indexes.get(indexUrl);
    const entry = (index?.entries?.[chart.name] ?? []).find((e: { version: string }) => e.version === chart.version);
    if (!entry?.urls?.[0]) return undefined;
    return viaMirror(new URL(entry.urls[0], `${chart.repo.replace(/\/$/, "")}/index.yaml`).toString(), env);
}
