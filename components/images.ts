// The container images the mesh runs, for the pinned versions.
import { MeshConfig } from "./config";
import { RevisionPlan, compareVersions, planForConfig } from "./revisions";
import { helloworldVersions, sampleImages } from "./sample-apps";

/** Every image the mesh runs: Istio's of each running revision, MetalLB's, the samples'. */
export function meshImages(config: MeshConfig, revisions: RevisionPlan = planForConfig(config)): string[] {
    const versions = [...new Set(revisions.revisions.map((r) => r.version))].sort(compareVersions);
    const images = versions.flatMap((v) => [`${config.istioHub}/pilot:${v}`, `${config.istioHub}/proxyv2:${v}`]);
    if (config.clusters.some((c) => c.loadBalancer.type !== "platform")) {
        images.push(`quay.io/metallb/controller:v${config.metallbVersion}`, `quay.io/metallb/speaker:v${config.metallbVersion}`);
    }
    if (config.sampleApps) {
        const samples = sampleImages(config.sampleRegistry);
        const count = config.clusters.length;
        const versions = new Set(config.clusters.flatMap((c) => helloworldVersions(c.index, count)));
        images.push(...[...versions].sort().map(samples.helloworld), samples.curl);
    }
    return images;
}
