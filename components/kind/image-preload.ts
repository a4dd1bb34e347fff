// Pull every image once on the host and load it into each kind cluster, so N clusters do not
// pull N times from Docker Hub (rate limits) and pods start from local images.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { KindCluster } from "./kind-cluster";

export function imageResourceName(image: string): string {
    return image.replace(/^[^/]*\.[^/]*\//, "").replace(/[/:@.]/g, "-");
}

export class ImagePreload extends pulumi.ComponentResource {
    private readonly pulls: { image: string; pull: command.local.Command }[];

    constructor(name: string, images: string[], opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:ImagePreload", name, {}, opts);
        // Pulls need no cluster: they run while the clusters are being created.
        this.pulls = images.map((image) => ({
            image,
            pull: new command.local.Command(
                `${name}-pull-${imageResourceName(image)}`,
                { create: "bash scripts/images.sh pull", environment: { IMAGE: image }, triggers: [image] },
                { parent: this },
            ),
        }));
        this.registerOutputs({ images });
    }

    /** Loads every image into `cluster`; returns the loads, which in-cluster work should wait for. */
    public loadInto(cluster: KindCluster): command.local.Command[] {
        return this.pulls.map(
            ({ image, pull }) =>
                new command.local.Command(
                    `${cluster.spec.clusterName}-load-${imageResourceName(image)}`,
                    {
                        create: "bash scripts/images.sh load",
                        environment: {
                            IMAGE: image,
                            ARCHIVE: pull.stdout.apply((s) => s.trim().split("\n").pop() ?? ""),
                            KIND_CLUSTER_NAME: cluster.spec.context,
                        },
                        triggers: [cluster.deletedWith.id, image],
                    },
                    { parent: this, dependsOn: [pull, cluster.deletedWith], deletedWith: cluster.deletedWith },
                ),
        );
    }
}
