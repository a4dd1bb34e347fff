// npm run bench [-- --json]: deploy-time benchmark of the program's resource graph.
// The program is evaluated under Pulumi mocks; each recorded resource gets the simulated
// duration of its kind (scripts/bench/model.ts) and starts when its dependencies finish.
import { performance } from "perf_hooks";
import { meshImages } from "../components/images";
import { configFrom, recordMesh } from "../test/harness";
import { DURATIONS, Node, idealGraph, kindOf, makespan, totalWork } from "./bench/model";
import { RealOptions, realBench } from "./bench/real";
import { parseConfigFlags, parseFlags, usageError } from "./cli";

const USAGE = `Usage: npm run bench -- [--json] [--real [--counts 1,3,8,16] [--config key=value ...] [--env KEY=VALUE ...] [--breakdown]]

Evaluates the program under mocks for 1, 3 and 6 clusters and compares the simulated bring-up
time (makespan) with the mesh's ideal chain and a one-at-a-time run; exits 1 if a target is missed.
With --real: times a real \`pulumi up\` from nothing and a real \`pulumi destroy\` on N real API
servers (kwok clusters in a network namespace of the bench's own, the real CLI and plugins, a real
istiod per cluster; needs what the real-clusters tier needs, see README "Tests"), when every istiod
tells its sleep proxy about every cluster, the state's size, the peak memory and the CPU of the
CLI's process tree and the clusters' CPU; each time with its ratio to the first N, as a Markdown table.

Options:
  --json              the rows as JSON
  --real              real clusters instead of the simulation
  --counts LIST       with --real: the cluster counts, comma-separated (default 1,3,8,16)
  --config key=value  with --real: more stack config, e.g. --config caKeyAlgorithm=ECDSA (repeatable)
  --env KEY=VALUE     with --real: environment for the CLI, e.g. --env PULUMI_SKIP_CHECKPOINTS=true (repeatable)
  --breakdown         with --real: where the state's bytes go, by resource type and property
  -h, --help          this text
`;

const COUNTS = [1, 3, 6];
const TOLERANCE = 0.1; // makespan within 10% of the ideal
const SCALING_LIMIT = 1.3; // makespan(6) / makespan(1)

async function programGraph(clusterCount: number): Promise<Node[]> {
    const { graph } = await recordMesh({ clusterCount: String(clusterCount) });
    return graph.resources.map((r) => ({ id: r.urn, kind: kindOf(r.type, r.inputs), deps: r.dependencies }));
}

async function evaluationMs(clusterCount: number): Promise<number> {
    const start = performance.now();
    await recordMesh({ clusterCount: String(clusterCount) });
    return Math.round(performance.now() - start);
}

async function real(json: boolean | undefined, counts: number[], options: RealOptions): Promise<void> {
    const rows = await realBench(
        counts,
        (line) => {
            if (!json) console.log(line);
        },
        options,
    );
    const first = rows[0];
    const ratio = (value: number, base: number) => (value / base).toFixed(1);
    if (json) {
        console.log(JSON.stringify({ rows }, null, 2));
        return;
    }
    // A Markdown table, as the README's "Bring-up time" shows it.
    console.log("");
    console.log(
        "| clusters | resources | state | `pulumi up` | every istiod sees every cluster | `pulumi destroy` | peak memory of the CLI's tree, PSS (RSS) | CPU during `up`: CLI's tree / clusters | istiod, largest / all |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
        console.log(
            `| ${r.clusters} | ${r.resources} | ${(r.stateBytes / 1024).toFixed(0)} KB (${(r.stateBytes / 1024 / r.clusters).toFixed(0)} KB a cluster) ` +
                `| ${r.up.seconds.toFixed(0)} s (×${ratio(r.up.seconds, first.up.seconds)}) ` +
                `| ${r.meshSeenSeconds.toFixed(0)} s (×${ratio(r.meshSeenSeconds, first.meshSeenSeconds)}) ` +
                `| ${r.destroy.seconds.toFixed(0)} s (×${ratio(r.destroy.seconds, first.destroy.seconds)}) ` +
                `| ${r.up.peakMiB.pss} MiB (${r.up.peakMiB.rss} MiB) ` +
                `| ${r.up.pulumiCpu.toFixed(0)} s / ${r.up.clustersCpu.toFixed(0)} s ` +
                `| ${r.istiodMiB.max} / ${r.istiodMiB.total} MiB |`,
        );
    }
}

async function main() {
    const flags = parseFlags(process.argv.slice(2), USAGE, {
        json: { type: "boolean" },
        real: { type: "boolean" },
        counts: { type: "string" },
        config: { type: "string", multiple: true },
        env: { type: "string", multiple: true },
        breakdown: { type: "boolean" },
    });
    const { json } = flags;
    if (flags.real) {
        const counts = (flags.counts ?? "1,3,8,16").split(",").map(Number);
        if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 16))
            usageError(USAGE, `--counts ${flags.counts}: whole numbers from 1 to 16`);
        const env = Object.fromEntries(
            (flags.env ?? []).map((pair) => {
                const match = /^([A-Za-z_]\w*)=(.*)$/s.exec(pair);
                if (!match) usageError(USAGE, `--env takes KEY=VALUE (got "${pair}")`);
                return [match[1], match[2]];
            }),
        );
        return real(json, counts, { breakdown: flags.breakdown, config: parseConfigFlags(flags.config ?? [], USAGE), env });
    }
    const rows = [];
    for (const n of COUNTS) {
        const nodes = await programGraph(n);
        const ideal = makespan(idealGraph(n, meshImages(configFrom({ clusterCount: String(n) })).length));
        const simulated = makespan(nodes);
        rows.push({
            clusters: n,
            resources: nodes.length,
            makespan: simulated,
            ideal,
            ratio: simulated / ideal,
            sequential: totalWork(nodes),
        });
    }
    const evaluation = [
        { clusters: 3, ms: await evaluationMs(3) },
        { clusters: 10, ms: await evaluationMs(10) },
    ];
    const first = rows[0];
    const last = rows[rows.length - 1];
    const targets = {
        withinIdeal: rows.every((r) => r.ratio <= 1 + TOLERANCE),
        scaling: last.makespan / first.makespan,
        scalingOk: last.makespan / first.makespan < SCALING_LIMIT,
    };
    if (json) {
        console.log(JSON.stringify({ durations: DURATIONS, rows, evaluation, targets }, null, 2));
    } else {
        console.log("simulated seconds per resource kind:");
        for (const [kind, s] of Object.entries(DURATIONS)) console.log(`  ${kind.padEnd(28)} ${s}`);
        console.log("\nclusters  resources  makespan  ideal  ratio  one-at-a-time");
        for (const r of rows) {
            console.log(
                `${String(r.clusters).padStart(8)}  ${String(r.resources).padStart(9)}  ${r.makespan.toFixed(0).padStart(7)}s ${r.ideal.toFixed(0).padStart(5)}s  ${r.ratio.toFixed(2).padStart(5)}  ${r.sequential.toFixed(0).padStart(12)}s`,
            );
        }
        console.log(`\nprogram evaluation under mocks: ${evaluation.map((e) => `${e.clusters} clusters ${e.ms} ms`).join(", ")}`);
        console.log(`makespan within ${TOLERANCE * 100}% of ideal for every N: ${targets.withinIdeal ? "yes" : "NO"}`);
        console.log(
            `makespan(${last.clusters}) / makespan(${first.clusters}) = ${targets.scaling.toFixed(2)} (target < ${SCALING_LIMIT}): ${targets.scalingOk ? "yes" : "NO"}`,
        );
    }
    process.exitCode = targets.withinIdeal && targets.scalingOk ? 0 : 1;
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 2;
});
