// npm run check-charts [-- --config key=value ...]: every Helm chart and version the program
// installs exists in its repository (a look-up in the repository's index, as helm does it).
// Exits 1 naming what is missing; the PR workflow runs it, as a preview cannot see it.
import { parseConfigFlags, parseFlags } from "./cli";
import { chartArchiveUrl, ChartRef } from "./charts";
import { recordProgram } from "./plan-diff/record";

const USAGE = `Usage: npm run check-charts -- [--config key=value ...]

Looks up every Helm chart version the program would install in its chart repository.

Options:
  --config key=value   config to evaluate the program with (repeatable)
  -h, --help           this text
`;

async function main(): Promise<void> {
    const flags = parseFlags(process.argv.slice(2), USAGE, { config: { type: "string", multiple: true } });
    const resources = await recordProgram(process.cwd(), parseConfigFlags(flags.config ?? [], USAGE));
    const charts = new Map<string, ChartRef>();
    for (const r of resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release")) {
        const inputs = r.inputs as { chart: string; version: string; repositoryOpts?: { repo?: string } };
        const ref = { repo: inputs.repositoryOpts?.repo ?? "", name: inputs.chart, version: inputs.version };
        charts.set(`${ref.repo} ${ref.name} ${ref.version}`, ref);
    }
    let missing = 0;
    for (const chart of charts.values()) {
        if (chart.repo === "") {
            // An OCI reference (istioChartRepo / metallbChartRepo oci://...): the registry has no index.
            console.log(
                `not checked ${chart.name} ${chart.version}: an OCI registry, try \`helm show chart ${chart.name} --version ${chart.version}\``,
            );
            continue;
        }
        const url = await chartArchiveUrl(chart);
        if (!url) missing++;
        console.log(`${url ? "ok     " : "MISSING"} ${chart.name} ${chart.version} in ${chart.repo}${url ? ` (${url})` : ""}`);
    }
    console.log(missing === 0 ? `all ${charts.size} charts exist` : `${missing} of ${charts.size} charts do not exist in their repository`);
    process.exitCode = missing === 0 ? 0 : 1;
}

main().catch((error) => {
    console.error(`check-charts: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
});
