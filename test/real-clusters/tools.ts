// What the real-clusters tier needs, and why it cannot run when something is missing: one line that
// names it and the command that brings it. In CI a missing piece is a failure, not a skip.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { PLUGINS, describeMissing, which } from "../real-tools";
import { networkUnavailable } from "./netns";

const TOOLS = [
    "pulumi",
    "kubectl",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
    "kwok",
    "kwokctl",
    "helm",
    "openssl",
];
const BUILD = 'eval "$(bash scripts/real-tools/build.sh)"';

export function realClustersUnavailable(): string | undefined {
    const why: string[] = [];
    const missing = TOOLS.filter((tool) => !which(tool));
    if (missing.length > 0) why.push(describeMissing(missing));
    if (!PLUGINS || !existsSync(path.join(PLUGINS, "VERSIONS"))) {
        why.push(
            `needs the Pulumi plugins command, tls and kubernetes in ISTIO_MC_PULUMI_PLUGINS (${BUILD} builds them from ../shared/tool-sources, ` +
                "or ISTIO_MC_TOOL_SOURCES; they are not on the Go module proxy)",
        );
    }
    const charts = process.env.ISTIO_MC_ISTIO_CHARTS;
    if (!charts || !existsSync(path.join(charts, "istiod", "Chart.yaml"))) {
        why.push(`needs Istio's charts in ISTIO_MC_ISTIO_CHARTS (${BUILD} copies them from the istio.io/istio module)`);
    }
    const network = networkUnavailable();
    if (network) why.push(network);
    if (why.length === 0) return undefined;
    const reason = why.join("; ");
    if (process.env.CI === "true") throw new Error(`CI runs the real-clusters tier: ${reason}`);
    return reason;
}

/** The plugin versions the tier runs: name -> {asked by the lock file, built and run}. */
export function pluginVersions(): Record<string, { asked: string; built: string }> {
    if (!PLUGINS) return {};
    return Object.fromEntries(
        readFileSync(path.join(PLUGINS, "VERSIONS"), "utf8")
            .trim()
            .split("\n")
            .map((line) => line.split(" "))
            .map(([name, asked, built]) => [name, { asked, built }]),
    );
}
