// The tier's Helm chart repository: Istio's charts base, istiod and gateway from the source the
// Go module proxy serves (istio.io/istio, release-1.31 branch; scripts/real-tools/build.sh copies
// them), packaged by the real helm at each version a test asks for, indexed by `helm repo index`
// and served on 127.0.0.1 inside the test network. The program reaches it through its
// istioChartRepo config, as a user's mirror.
import { ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { TestNetwork } from "./netns";

export const ISTIO_CHARTS = ["base", "istiod", "gateway"];

export class ChartRepo {
    private constructor(
        private readonly net: TestNetwork,
        /** The server's PID inside the test network's PID namespace. */
        private readonly pid: string,
        public readonly url: string,
    ) {}

    /**
     * Packages Istio's charts at `versions` into `dir` and serves it. At the `broken` versions the
     * istiod chart carries one object the API server rejects: its release fails to install.
     */
    static async start(net: TestNetwork, dir: string, versions: string[], broken: string[] = []): Promise<ChartRepo> {
        const source = process.env.ISTIO_MC_ISTIO_CHARTS;
        if (!source) throw new Error('ISTIO_MC_ISTIO_CHARTS is not set: eval "$(bash scripts/real-tools/build.sh)"');
        const charts = path.join(dir, "charts");
        mkdirSync(charts, { recursive: true });
        // helm's own settings and cache stay in the test's folder.
        const helm = path.join(dir, "helm");
        const env = { ...process.env, HELM_CACHE_HOME: helm, HELM_CONFIG_HOME: helm, HELM_DATA_HOME: helm };
        const brokenIstiod = path.join(dir, "broken", "istiod");
        if (broken.length > 0) {
            cpSync(path.join(source, "istiod"), brokenIstiod, { recursive: true });
            writeFileSync(
                path.join(brokenIstiod, "templates", "zz-broken.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n  namespace: {{ .Release.Namespace }}\n",
            );
        }
        for (const version of [...versions, ...broken]) {
            for (const chart of ISTIO_CHARTS) {
                const from = chart === "istiod" && broken.includes(version) ? brokenIstiod : path.join(source, chart);
                const args = ["package", from, "--version", version, "--app-version", version, "-d", charts];
                await net.mustRun("helm", args, { env });
            }
        }
        await net.mustRun("helm", ["repo", "index", charts], { env });
        const server: ChildProcess = net.spawn(process.execPath, [path.join(__dirname, "static-server.mjs"), charts]);
        const [url, pid] = await new Promise<string[]>((resolve, reject) => {
            server.once("exit", (code) => reject(new Error(`the chart repository did not start (exit ${code})`)));
            server.stdout!.once("data", (chunk) => resolve(String(chunk).trim().split(" ")));
        });
        server.stdout!.destroy();
        server.unref();
        return new ChartRepo(net, pid, url);
    }

    async stop(): Promise<void> {
        await this.net.run("kill", [this.pid]);
    }
}
