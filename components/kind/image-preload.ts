// Pull every image once on the host, save them into one archive, and load that archive into
// each kind cluster: N clusters do not pull N times from Docker Hub (rate limits), pods start
// from local images, and each cluster gets one `kind load` (kind's advice), not one per image.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { lastLine } from "../run";
import { KindCluster } from "./kind-cluster";

const SCRIPT = "node --import tsx scripts/images.ts";

export function imageResourceName(image: string): string {
    return image.replace(/^[^/]*\.[^/]*\//, "").replace(/[/:@.]/g, "-");
}

export class ImagePreload extends pulumi.ComponentResource {
    private readonly images: string[];
    private readonly save: command.local.Command;

    constructor(name: string, images: string[], opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:ImagePreload", name, {}, opts);
        this.images = images;
        // Pulls need no cluster: they run in parallel, while the clusters are being created.
        const pulls = images.map(
            (image) =>
                new command.local.Command(
                    `${name}-pull-${imageResourceName(image)}`,
                    { create: `${SCRIPT} pull`, environment: { IMAGE: image }, triggers: [image] },
                    { parent: this },
                ),
        );
        this.save = new command.local.Command(
            `${name}-save`,
            { create: `${SCRIPT} save`, environment: { IMAGES: images.join("\n") }, triggers: images },
            { parent: this, dependsOn: pulls },
        );
        this.registerOutputs({ images });
    }

    /** Loads the archive into `cluster`; returns the load, which in-cluster work should wait for. */
    public loadInto(cluster: KindCluster): command.local.Command {
        return new command.local.Command(
            `${cluster.spec.clusterName}-load-images`,
            {
                create: `${SCRIPT} load`,
                environment: {
                    IMAGES: this.images.join("\n"),
                    ARCHIVE: this.save.stdout.apply(lastLine),
                    KIND_CLUSTER_NAME: cluster.spec.context,
                },
                triggers: [cluster.deletedWith.id, ...this.images],
            },
            { parent: this, dependsOn: [this.save, cluster.deletedWith], deletedWith: cluster.deletedWith },
        );
    }
}
