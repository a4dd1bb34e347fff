// Endpoint discovery: what `istioctl create-remote-secret` makes for every ordered pair of clusters.
// Cluster j issues each peer i a reader token (a Secret for istio-reader-service-account); cluster i
// holds a remote secret with a kubeconfig for j carrying that token, and i's istiod watches j with
// it. The pairs grow with N·(N−1), so they are not resources: one command for the whole mesh keeps
// them (scripts/discovery.cjs). A token goes from one API server to the other; nothing of it lands
// in state, and the command's inputs grow with N only.
//
// Every pair's token and remote secret are Secrets of their own: taking one cluster out touches
// only its objects, and istiod drops only that cluster.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { missingObjects } from "../scripts/discovery.cjs";
import { MeshCluster, commandTargetOf } from "./cluster";
import { MeshConfig } from "./config";
import { DISCOVERY_LAYOUT, keepsLegacyPairs } from "./legacy/remote-access-pairs";

const SCRIPT = "node scripts/discovery.cjs";

/** One cluster of the mesh, with what must exist in it before peers read it or it holds remote secrets. */
export interface DiscoveryMember {
    cluster: MeshCluster;
    /** Its istio-system namespace: its remote secrets live there. */
    namespace: pulumi.Resource;
    /** Its istio-base release: it makes the reader ServiceAccount the tokens are for. */
    base: pulumi.Resource;
    /** Its istiod release: it binds the reader's ClusterRole (before it, a peer reading with a token gets 403s). */
    istiod: pulumi.Resource;
}

export interface EndpointDiscoveryArgs {
    /** Every cluster of the mesh, gone ones included (the command leaves those and what others hold for them as they are). */
    members: DiscoveryMember[];
    /** How long the command waits for the token controllers to fill the tokens. */
    timeoutSeconds: number;
    /** How many times objects were found missing and made again (discoveryRepairs): a new count runs the command again. */
    repairs: number;
}

/** What the command is told of a cluster (scripts/discovery.cjs, Member); nothing of it is secret. */
function memberEntry(cluster: MeshCluster) {
    return pulumi.all([cluster.apiServer, cluster.provider.id]).apply(([server, provider]) => ({
        clusterName: cluster.spec.clusterName,
        server,
        ...(cluster.apiServerTls?.caData ? { caData: cluster.apiServerTls.caData } : {}),
        ...(cluster.apiServerTls?.serverName ? { tlsServerName: cluster.apiServerTls.serverName } : {}),
        target: cluster.commandTarget,
        ...(cluster.spec.gone ? { gone: true } : {}),
        // A new cluster behind the same name (its provider replaced) gets new tokens and secrets.
        provider,
    }));
}

export class EndpointDiscovery extends pulumi.ComponentResource {
    constructor(name: string, args: EndpointDiscoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:EndpointDiscovery", name, {}, opts);
        const clusters = args.members.map((m) => m.cluster);
        new command.local.Command(
            `${name}-secrets`,
            {
                create: `${SCRIPT} apply`,
                delete: `${SCRIPT} delete`,
                environment: pulumi.all(clusters.map(memberEntry)).apply((members) => ({
                    CLUSTERS: JSON.stringify(members),
                    TIMEOUT_SECONDS: String(args.timeoutSeconds),
                    ...(args.repairs > 0 ? { REPAIRS: String(args.repairs) } : {}),
                })),
            },
            {
                parent: this,
                dependsOn: args.members.flatMap((m) => [...m.cluster.ready, m.namespace, m.base, m.istiod]),
            },
        );
        this.registerOutputs({});
    }
}

/**
 * A command has no state to refresh, so what it made and someone deleted (a remote secret, a reader
 * token) is looked for before the update, with the preflight: if something is missing, the count of
 * repairs (the stack output discoveryRepairs) goes up by one, which runs the command again. The count
 * stays as it is otherwise, so a second update changes nothing. Only clusters the last update made
 * objects for are looked at (after an earlier release's first update, or on a new stack, nothing is).
 */
export async function discoveryRepairs(config: MeshConfig, last: Record<string, unknown>): Promise<{ count: number; missing: string[] }> {
    const count = Number(last.discoveryRepairs ?? 0) || 0;
    if (config.discovery !== "endpoint" || config.clusters.length < 2 || !config.preflight || !("discoveryLayout" in last)) {
        return { count, missing: [] };
    }
    const known = Array.isArray(last.clusters) ? last.clusters.map((c: any) => String(c?.clusterName)) : [];
    const members = config.clusters.map((spec) => ({
        clusterName: spec.clusterName,
        server: "",
        target: commandTargetOf(spec),
        ...(spec.gone ? { gone: true } : {}),
    }));
    const missing = await missingObjects(members, known);
    return { count: missing.length > 0 ? count + 1 : count, missing };
}

/** What endpoint discovery takes over from the stack's last update, and says about it. */
export interface DiscoveryUpkeep {
    /** For buildMesh: an earlier release's per-pair resources to declare once more, the count of repairs. */
    options: { legacyPairs: boolean; discoveryRepairs: number };
    /** Stack outputs the next update reads back (index.ts). */
    outputs: Record<string, unknown>;
    warnings: string[];
}

export async function discoveryUpkeep(config: MeshConfig, last: Record<string, unknown>): Promise<DiscoveryUpkeep> {
    const legacyPairs = keepsLegacyPairs(last, config.discovery);
    const repairs = await discoveryRepairs(config, last);
    const n = config.clusters.length;
    const warnings = [
        ...(legacyPairs
            ? [
                  "This stack was made by an earlier release, which kept endpoint discovery as resources per pair of clusters. " +
                      "This update hands their objects to one command for the whole mesh and changes nothing in the clusters; " +
                      "the next `pulumi up` forgets the per-pair resources (shown as deletes, of resources marked retained: nothing is deleted): run it once more.",
              ]
            : []),
        ...(repairs.missing.length > 0
            ? [
                  `endpoint discovery: ${repairs.missing.join("; ")} ${repairs.missing.length === 1 ? "is" : "are"} missing ` +
                      "(deleted outside the program?): this update makes them again.",
              ]
            : []),
    ];
    return {
        options: { legacyPairs, discoveryRepairs: repairs.count },
        outputs: {
            // How endpoint discovery is kept: a later update reads it back (keepsLegacyPairs).
            discoveryLayout: DISCOVERY_LAYOUT,
            ...(repairs.count > 0 ? { discoveryRepairs: repairs.count } : {}),
            // Only on the update that declares an earlier release's pairs once more: `npm run up` then runs the one that forgets them.
            ...(legacyPairs ? { legacyDiscoveryPairs: n * (n - 1) } : {}),
        },
        warnings,
    };
}
