// MetalLB in L2 mode: LoadBalancer addresses for clusters without a cloud load balancer.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { chartSource } from "./charts";
import { MeshCluster, inCluster } from "./cluster";

export const METALLB_NAMESPACE = "metallb-system";
export const POOL_NAME = "mesh-pool";

export interface MetalLbArgs {
    cluster: MeshCluster;
    version: string;
    /** Helm repository of MetalLB's chart (config metallbChartRepo). */
    chartRepo: string;
    range: pulumi.Input<string>;
    /** speaker.ignoreExcludeLB: needed where only control-plane nodes exist (kind). */
    announceFromExcludedNodes: boolean;
    timeoutSeconds: number;
}

export function metallbValues(announceFromExcludedNodes: boolean): Record<string, unknown> {
    return {
        // Plain L2: no BGP, so neither FRR flavour.
        speaker: { frr: { enabled: false }, ...(announceFromExcludedNodes ? { ignoreExcludeLB: true } : {}) },
        frrk8s: { enabled: false },
    };
}

/** The pool object, with a plain range (for the dry run) or a Pulumi input (for the resource). */
export function addressPool<Range>(range: Range) {
    return {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name: POOL_NAME, namespace: METALLB_NAMESPACE },
        spec: { addresses: [range] },
    };
}

export class MetalLb extends pulumi.ComponentResource {
    /** LoadBalancer Services get addresses once these exist. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: MetalLbArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-multicluster:index:MetalLb", name, {}, opts);
        const { cluster } = args;

        // The speaker needs host networking and NET_RAW: the namespace must allow privileged pods.
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: METALLB_NAMESPACE,
                    labels: {
                        "pod-security.kubernetes.io/enforce": "privileged",
                        "pod-security.kubernetes.io/audit": "privileged",
                        "pod-security.kubernetes.io/warn": "privileged",
                    },
                },
            },
            inCluster(cluster, this),
        );

        const release = new k8s.helm.v3.Release(
            `${name}-metallb`,
            {
                name: "metallb",
                ...chartSource(args.chartRepo, "metallb"),
                version: args.version,
                namespace: METALLB_NAMESPACE,
                values: metallbValues(args.announceFromExcludedNodes),
                timeout: args.timeoutSeconds,
            },
            inCluster(cluster, this, [namespace]),
        );

        const pool = pulumi.output(args.range).apply((range) => addressPool(range));

        // The controller's webhook starts after its pod is Ready: a pool applied before it is rejected.
        const webhookReady = new command.local.Command(
            `${name}-webhook-ready`,
            {
                create: "node --import tsx scripts/wait-for-admission.ts",
                environment: pulumi.all([cluster.kubectlEnv, pool]).apply(([env, manifest]) => ({
                    ...env,
                    MANIFEST: stringify(manifest),
                    TIMEOUT_SECONDS: String(args.timeoutSeconds),
                })),
                logging: "stderr",
                triggers: [release.id],
            },
            { parent: this, dependsOn: [release] },
        );

        const ipAddressPool = new k8s.apiextensions.CustomResource(
            `${name}-pool`,
            addressPool(args.range),
            inCluster(cluster, this, [webhookReady]),
        );
        const advertisement = new k8s.apiextensions.CustomResource(
            `${name}-l2-advertisement`,
            {
                apiVersion: "metallb.io/v1beta1",
                kind: "L2Advertisement",
                metadata: { name: "mesh-l2", namespace: METALLB_NAMESPACE },
                spec: { ipAddressPools: [POOL_NAME] },
            },
            inCluster(cluster, this, [webhookReady]),
        );
        this.ready = [ipAddressPool, advertisement];
        this.registerOutputs({ range: args.range });
    }
}
