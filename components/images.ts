// The container images the mesh runs, for the pinned versions.
import { MeshConfig } from "./config";
import { helloworldVersions, sampleImages } from "./sample-apps";

export function meshImages(config: MeshConfig): string[] {
    const images = [`${config.istioHub}/pilot:${config.istioVersion}`, `${config.istioHub}/proxyv2:${config.istioVersion}`];
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
