// One case of the real-clusters tier: its own kwok clusters, chart repository, file backend and
// stack, all below one folder, all removed by `close()` whatever happened before.
import { mkdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { tempDir } from "../temp";
import { ChartRepo } from "./chart-repo";
import { IstiodFleet } from "./istiod";
import { KwokCluster, KwokClusters, SLOTS } from "./kwok";
import { TestNetwork } from "./netns";
import { TestStack } from "./stack";

/** The annotation the tier's load-balancer Stage honours (stages.yaml), as a platform binds a reserved address. */
export const LB_ADDRESS_ANNOTATION = "test.istio-multicluster/load-balancer-ip";

export interface CaseOptions {
    /**
     * Real istiods (istiod.ts) and the API servers' admission webhooks, which they serve; default
     * true. Off, no webhook is called and no istiod runs (pods are not injected).
     */
    istiod?: boolean;
    /** Chart versions the repository serves (the first is istioVersion). */
    istioVersions?: string[];
    /** Versions whose istiod release fails to install (chart-repo.ts). */
    brokenVersions?: string[];
    discovery?: "endpoint" | "federated";
    /** More config (keys without the project prefix). */
    config?: Record<string, unknown>;
}

/** Slots of the test network taken by open cases (kwok.ts): cases alive at once never share an address. */
const taken = new Set<number>();

export class MeshCase {
    private constructor(
        public readonly net: TestNetwork,
        public readonly name: string,
        public readonly dir: string,
        public readonly clusters: KwokClusters,
        public readonly repo: ChartRepo,
        public readonly stack: TestStack,
        private readonly options: CaseOptions,
        /** The case's istiods, when it runs them. */
        public readonly istiods?: IstiodFleet,
    ) {}

    /** Clusters 1..count, the chart repository and a stack configured for them (nothing deployed yet). */
    static async open(net: TestNetwork, name: string, count: number, options: CaseOptions = {}): Promise<MeshCase> {
        const dir = tempDir(`real-clusters-${name}`);
        const withIstiod = options.istiod ?? true;
        const slot = [...Array(SLOTS).keys()].find((k) => !taken.has(k));
        if (slot === undefined) throw new Error(`more than ${SLOTS} cases open at once`);
        taken.add(slot);
        const clusters = new KwokClusters(net, path.join(dir, "clusters"), `istio-mc-test-${process.pid}-${name}`, slot, {
            webhooks: withIstiod,
        });
        let repo: ChartRepo | undefined;
        try {
            const [, started] = await Promise.all([
                clusters.add(1, count),
                ChartRepo.start(net, path.join(dir, "repo"), options.istioVersions ?? ["1.31.1"], options.brokenVersions),
            ]);
            repo = started;
            mkdirSync(path.join(dir, "stack"));
            const stack = await TestStack.create(net, path.join(dir, "stack"), clusters.kubeconfig);
            const istiods = withIstiod ? new IstiodFleet(net, clusters, path.join(dir, "istiod")) : undefined;
            istiods?.start();
            const meshCase = new MeshCase(net, name, dir, clusters, repo, stack, options, istiods);
            meshCase.configure(clusters.clusters);
            return meshCase;
        } catch (error) {
            await repo?.stop();
            await clusters.delete();
            rmSync(dir, { recursive: true, force: true });
            taken.delete(slot);
            throw error;
        }
    }

    /** The config entry of a cluster, as a user writes it for existing clusters. */
    entry(cluster: KwokCluster, extra: Record<string, unknown> = {}): Record<string, unknown> {
        return {
            context: cluster.name,
            apiServer: cluster.apiServer,
            gatewayServiceAnnotations: { [LB_ADDRESS_ANNOTATION]: cluster.gatewayAddress },
            ...(this.options.discovery === "federated" ? { gatewayAddress: cluster.gatewayAddress } : {}),
            ...extra,
        };
    }

    /** Sets the stack's config for `members` (default: every cluster of the case). */
    configure(members: KwokCluster[], extra: Record<string, unknown> = {}): void {
        this.stack.setConfig({
            provisioner: "existing",
            istioChartRepo: this.repo.url,
            istioVersion: (this.options.istioVersions ?? ["1.31.1"])[0],
            ...(this.options.discovery ? { discovery: this.options.discovery } : {}),
            clusters: members.map((c) => this.entry(c)),
            // Everything here is ready in seconds; a failure should not wait the default 10 minutes.
            helmTimeoutSeconds: 180,
            ...this.options.config,
            ...extra,
        });
    }

    cluster(index: number): KwokCluster {
        const found = this.clusters.clusters.find((c) => c.index === index);
        if (!found) throw new Error(`case ${this.name} has no cluster ${index}`);
        return found;
    }

    private closed = false;

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        await this.istiods?.stop();
        await this.repo.stop();
        await this.clusters.delete();
        rmSync(this.dir, { recursive: true, force: true });
        taken.delete(this.clusters.slot);
    }
}
