// What the real-clusters tier needs, and why it cannot run when something is missing: one line that
// names it and the command that brings it. In CI a missing piece is a failure, not a skip.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { PLUGINS, ROOT, describeMissing, which } from "../real-tools";
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
    "pilot-discovery",
    "xds-client",
    "openssl",
];
const PLUGIN_NAMES = ["command", "tls", "kubernetes"];
const BUILD = 'eval "$(bash scripts/real-tools/build.sh)"';

export function realClustersUnavailable(): string | undefined {
    const why: string[] = [];
    const missing = TOOLS.filter((tool) => !which(tool));
    if (missing.length > 0) why.push(describeMissing(missing));
    const plugins = Object.entries(pluginVersions());
    const absent = plugins.filter(([name, v]) => !PLUGINS || !existsSync(path.join(PLUGINS, `resource-${name}-v${v.asked}`)));
    if (absent.length > 0) {
        why.push(
            `needs the Pulumi plugins ${absent.map(([name, v]) => `${name} ${v.asked}`).join(", ")} in the folder ISTIO_MC_PULUMI_PLUGINS names ` +
                `(${BUILD} builds them from ../shared/tool-sources or ISTIO_MC_TOOL_SOURCES, as the Go module proxy does not serve their source; ` +
                "with network, `PULUMI_HOME=<folder>/.. pulumi plugin install resource NAME VERSION` fills such a folder)",
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

/**
 * The plugin versions the tier runs: name -> the version the lock file asks for, and the version
 * that was built and really runs (scripts/real-tools/build.sh records it in VERSIONS; a plugin
 * installed another way is taken to be the version it is installed as).
 */
export function pluginVersions(): Record<string, { asked: string; built: string }> {
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    const recorded = PLUGINS && existsSync(path.join(PLUGINS, "VERSIONS")) ? readFileSync(path.join(PLUGINS, "VERSIONS"), "utf8") : "";
    const built = new Map(
        recorded
            .trim()
            .split("\n")
            .map((line) => [line.split(" ")[0], line.split(" ")[2]]),
    );
    return Object.fromEntries(
        PLUGIN_NAMES.map((name) => {
            const asked: string = lock.packages[`node_modules/@pulumi/${name}`].version;
            return [name, { asked, built: built.get(name) ?? asked }];
        }),
    );
}
