// Leaving a cluster that is gone (config `clusters[k].gone`, existing clusters only). The
// Kubernetes provider cannot delete anything in a cluster it cannot reach, and refuses to drop a
// Helm release from state even when told to (pulumi/pulumi-kubernetes#2675), so `pulumi destroy`
// or removing the cluster from the list would stop there. Marked gone, every resource in that
// cluster is kept exactly as it is (its inputs are not compared again) and marked to be dropped
// from the stack, not deleted, when it leaves: the next `pulumi destroy`, or the `pulumi up` after
// the entry is removed, forgets it. What stays in the cluster is named in one warning.
import * as pulumi from "@pulumi/pulumi";
import { MeshCluster } from "../cluster";

/** "Kind namespace/name" of a resource as a person finds it in the cluster. */
function describe(type: string, props: Record<string, any>): string {
    if (type === "kubernetes:helm.sh/v3:Release") return `Helm release ${props.namespace}/${props.name} (and all it installed)`;
    const kind = props.kind ?? type.split(":").pop();
    const { name, namespace } = props.metadata ?? {};
    return `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
}

export class GoneClusters {
    private readonly left = new Map<pulumi.ProviderResource, string[]>();

    constructor(private readonly clusters: MeshCluster[]) {
        for (const cluster of clusters) if (cluster.spec.gone) this.left.set(cluster.provider, []);
    }

    /** Options for every component: what lands in a gone cluster is kept as it is and left behind. */
    get options(): pulumi.ComponentResourceOptions {
        if (this.left.size === 0) return {};
        const transformation: pulumi.ResourceTransformation = ({ type, props, opts }) => {
            const list = opts.provider ? this.left.get(opts.provider as pulumi.ProviderResource) : undefined;
            if (!list) return undefined;
            list.push(describe(type, props));
            return { props, opts: pulumi.mergeOptions(opts, { retainOnDelete: true, ignoreChanges: Object.keys(props) }) };
        };
        return { transformations: [transformation] };
    }

    /** Objects the program keeps in a gone cluster without a resource of their own (named as a person finds them). */
    leave(cluster: MeshCluster, objects: string[]): void {
        this.left.get(cluster.provider)?.push(...objects);
    }

    /** One warning per gone cluster, naming what stays in it. Call once the mesh is declared. */
    report(): void {
        for (const cluster of this.clusters.filter((c) => c.spec.gone)) {
            const left = this.left.get(cluster.provider) ?? [];
            pulumi.log.warn(
                `${cluster.spec.clusterName} (context ${cluster.spec.context}) is marked gone: nothing in it is changed or deleted, ` +
                    `and it leaves the stack without being deleted (pulumi destroy, or pulumi up once its entry is removed from clusters). ` +
                    `If it comes back, these stay in it: ${left.join("; ")}. Clean it then as README "A cluster that is gone" says.`,
            );
        }
    }
}
