// `npm run bench -- --real`: a real `pulumi up` from nothing and a real `pulumi destroy` of the
// mesh on N real API servers (the real-clusters tier's kwok clusters, test/real-clusters/), with
// the real CLI and plugins and a real istiod per cluster, for each N; times are wall-clock seconds
// on this machine. The clusters are made before the clock starts (existing clusters: what is timed
// is the program's own work). Also measured: when every istiod tells its sleep proxy about every
// cluster (the lab's proof, from the start of `pulumi up`), the istiods' memory then, the state's
// size, the peak memory of the CLI's process tree, and the CPU seconds spent by that tree and by
// the clusters (which here share the machine's cores; on real clusters they have their own).
import { performance } from "node:perf_hooks";
import { MeshCase } from "../../test/real-clusters/mesh-case";
import { tempDir } from "../../test/temp";
import { assertLabProof } from "../../test/real-clusters/proof";
import { PeakMemory, TestNetwork } from "../../test/real-clusters/netns";
import { tail } from "../../test/real-clusters/stack";
import { pluginVersions, realClustersUnavailable } from "../../test/real-clusters/tools";
import { formatBreakdown, stateBreakdown } from "./state";

/** What one `pulumi up` or `pulumi destroy` cost. */
export interface RunCost {
    seconds: number;
    /** CPU seconds of the CLI's process tree: CLI, language host and program, plugins, the commands they ran. */
    pulumiCpu: number;
    /** CPU seconds the clusters' processes spent meanwhile (API servers, etcd, kwok, controllers, istiods). */
    clustersCpu: number;
    /** Peak memory of the CLI's process tree, MiB: the sum of proportional set sizes, and of resident set sizes. */
    peakMiB: { pss: number; rss: number };
}

export interface RealRow {
    clusters: number;
    resources: number;
    up: RunCost;
    /** From the start of `pulumi up` until every istiod sent its sleep proxy every cluster's endpoints. */
    meshSeenSeconds: number;
    /** Resident memory of the largest istiod and of all of them, MiB. */
    istiodMiB: { max: number; total: number };
    destroy: RunCost;
    /** The file backend's checkpoint after `pulumi up`, bytes. */
    stateBytes: number;
}

export interface RealOptions {
    /** Print where the state's bytes go, by resource type and property. */
    breakdown?: boolean;
    /** More stack config (keys without the project prefix). */
    config?: Record<string, string>;
    /** More environment for the CLI. */
    env?: Record<string, string>;
}

/** Runs `pulumi args` on the case's stack and measures it; a failure is an error with the CLI's last lines. */
async function measured(mesh: MeshCase, net: TestNetwork, args: string[], env: Record<string, string>): Promise<RunCost> {
    const peak = new PeakMemory();
    const clustersBefore = net.cpuSeconds();
    const start = performance.now();
    const result = await mesh.stack.pulumiTimed(args, 1_800_000, peak, env);
    const seconds = (performance.now() - start) / 1000;
    if (result.status !== 0) {
        throw new Error(`pulumi ${args.join(" ")} failed:\n${tail(result.stdout + result.stderr)}`);
    }
    let clustersCpu = 0;
    for (const [process, cpu] of net.cpuSeconds()) {
        const before = clustersBefore.get(process);
        if (before !== undefined) clustersCpu += cpu - before; // alive all along: the clusters, not the CLI's tree
    }
    const mib = (kib: number) => Math.round(kib / 1024);
    return { seconds, pulumiCpu: result.cpuSeconds, clustersCpu, peakMiB: { pss: mib(peak.pssKiB), rss: mib(peak.rssKiB) } };
}

/** Resident memory of the pilot-discovery processes running now. */
function istiodMemory(net: TestNetwork): { max: number; total: number } {
    const mib = net.residentMemory("pilot-discovery").map((kib) => Math.round(kib / 1024));
    return { max: Math.max(...mib), total: mib.reduce((a, b) => a + b, 0) };
}

const cost = (c: RunCost) =>
    `${c.seconds.toFixed(0)} s (CPU: pulumi ${c.pulumiCpu.toFixed(0)} s, clusters ${c.clustersCpu.toFixed(0)} s; ` +
    `pulumi ${c.peakMiB.pss} MiB PSS, ${c.peakMiB.rss} MiB RSS at most)`;

export async function realBench(counts: number[], log: (line: string) => void, options: RealOptions = {}): Promise<RealRow[]> {
    const why = realClustersUnavailable();
    if (why) throw new Error(`--real ${why}`);
    const plugins = Object.entries(pluginVersions()).map(([name, v]) => `${name} ${v.built}`);
    log(`real pulumi up and destroy on kwok API servers; plugins that run: ${plugins.join(", ")}`);
    const net = await TestNetwork.create(tempDir("real-clusters-home"));
    const rows: RealRow[] = [];
    try {
        for (const n of counts) {
            const mesh = await MeshCase.open(net, `bench${n}`, n, { config: options.config });
            try {
                const start = performance.now();
                const up = await measured(mesh, net, ["up", "--yes"], options.env ?? {});
                await assertLabProof(mesh, { timeoutMs: 600_000 });
                const meshSeenSeconds = (performance.now() - start) / 1000;
                const istiodMiB = istiodMemory(net);
                const exported = await mesh.stack.exported();
                const resources = exported.resources.length;
                const stateBytes = mesh.stack.checkpointBytes();
                if (options.breakdown) for (const line of formatBreakdown(stateBreakdown(exported.text))) log(line);
                const destroy = await measured(mesh, net, ["destroy", "--yes"], options.env ?? {});
                rows.push({ clusters: n, resources, up, meshSeenSeconds, istiodMiB, destroy, stateBytes });
                log(
                    `  ${n} clusters: up ${cost(up)}; every istiod sees every cluster ${meshSeenSeconds.toFixed(0)} s; ` +
                        `istiod ${istiodMiB.max} MiB (all ${istiodMiB.total} MiB); destroy ${cost(destroy)}; ` +
                        `${resources} resources, state ${(stateBytes / 1024).toFixed(0)} KB`,
                );
            } finally {
                await mesh.close();
            }
        }
    } finally {
        await net.close();
    }
    return rows;
}
