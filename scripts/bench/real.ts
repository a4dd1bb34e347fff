// `npm run bench -- --real`: a real `pulumi up` from nothing and a real `pulumi destroy` of the
// mesh on N real API servers (the real-clusters tier's kwok clusters, test/real-clusters/), with
// the real CLI and plugins and a real istiod per cluster, for each N; times are wall-clock seconds
// on this machine. The clusters are made before the clock starts (existing clusters: what is timed
// is the program's own work). Also measured: when every istiod tells its sleep proxy about every
// cluster (the lab's proof, from the start of `pulumi up`), and the istiods' memory then.
import { performance } from "node:perf_hooks";
import { MeshCase } from "../../test/real-clusters/mesh-case";
import { tempDir } from "../../test/temp";
import { assertLabProof } from "../../test/real-clusters/proof";
import { TestNetwork } from "../../test/real-clusters/netns";
import { pluginVersions, realClustersUnavailable } from "../../test/real-clusters/tools";

export interface RealRow {
    clusters: number;
    resources: number;
    upSeconds: number;
    /** From the start of `pulumi up` until every istiod sent its sleep proxy every cluster's endpoints. */
    meshSeenSeconds: number;
    /** Resident memory of the largest istiod and of all of them, MiB. */
    istiodMiB: { max: number; total: number };
    destroySeconds: number;
}

async function timed(run: () => Promise<{ status: number; stdout: string; stderr: string }>, what: string): Promise<number> {
    const start = performance.now();
    const result = await run();
    if (result.status !== 0)
        throw new Error(`${what} failed:\n${(result.stdout + result.stderr).trim().split("\n").slice(-30).join("\n")}`);
    return (performance.now() - start) / 1000;
}

/** Resident memory of the pilot-discovery processes running now. */
function istiodMemory(net: TestNetwork): { max: number; total: number } {
    const mib = net.residentMemory("pilot-discovery").map((kib) => Math.round(kib / 1024));
    return { max: Math.max(...mib), total: mib.reduce((a, b) => a + b, 0) };
}

export async function realBench(counts: number[], log: (line: string) => void): Promise<RealRow[]> {
    const why = realClustersUnavailable();
    if (why) throw new Error(`--real ${why}`);
    const plugins = Object.entries(pluginVersions()).map(([name, v]) => `${name} ${v.built}`);
    log(`real pulumi up and destroy on kwok API servers; plugins that run: ${plugins.join(", ")}`);
    const net = await TestNetwork.create(tempDir("real-clusters-home"));
    const rows: RealRow[] = [];
    try {
        for (const n of counts) {
            const mesh = await MeshCase.open(net, `bench${n}`, n);
            try {
                const start = performance.now();
                const upSeconds = await timed(() => mesh.stack.pulumi(["up", "--yes"]), `pulumi up (${n} clusters)`);
                await assertLabProof(mesh, { timeoutMs: 600_000 });
                const meshSeenSeconds = (performance.now() - start) / 1000;
                const istiodMiB = istiodMemory(net);
                const resources = (await mesh.stack.exported()).resources.length;
                const destroySeconds = await timed(() => mesh.stack.pulumi(["destroy", "--yes"]), `pulumi destroy (${n} clusters)`);
                rows.push({ clusters: n, resources, upSeconds, meshSeenSeconds, istiodMiB, destroySeconds });
                log(
                    `  ${n} clusters: up ${upSeconds.toFixed(0)} s, every istiod sees every cluster ${meshSeenSeconds.toFixed(0)} s, ` +
                        `istiod ${istiodMiB.max} MiB (all ${istiodMiB.total} MiB), destroy ${destroySeconds.toFixed(0)} s, ${resources} resources`,
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
