// istio-multicluster: one `pulumi up` to an Istio multi-primary, multi-network mesh.
//
//   1. config      components/config.ts        read and validate everything first
//   2. preflight   components/kind|existing    tools, limits, contexts: before anything is created
//   3. clusters    components/kind|existing    kind clusters (contexts istio-<i>) or existing ones
//   4. PKI         components/mesh-pki.ts      one root CA, an intermediate per cluster
//   5. LB          components/load-balancer.ts MetalLB where the platform has no load balancer
//   6. Istio       components/revisions.ts     which istiod revisions run, where the tags point
//                  components/istio.ts         cacerts, istio-base, istiod per revision, east-west gateway
//   7. discovery   components/endpoint-discovery.ts  reader tokens and remote secrets (endpoint), or
//                  components/federation.ts          WorkloadEntries via gateways (federated)
//   8. samples     components/sample-apps.ts   helloworld v1/v2 + sleep; `npm run verify`
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig } from "./components/config";
import { discoveryUpkeep } from "./components/endpoint-discovery";
import { existingPreflight } from "./components/existing/preflight";
import { kindPreflight } from "./components/kind/preflight";
import { buildMesh } from "./components/mesh";
import { lastOutputs } from "./components/revision-memory";
import { planForConfig, runningRevisions } from "./components/revisions";
import { PreflightError } from "./components/run";

function clearly<T>(step: () => T): T {
    try {
        return step();
    } catch (error) {
        // A clear message, no stack trace, and nothing created (at most the stack's own outputs read).
        if (error instanceof ConfigError || error instanceof PreflightError) throw new pulumi.RunError(error.message);
        throw error;
    }
}

function configure() {
    const config = loadConfig();
    if (config.preflight) {
        const report =
            config.provisioner === "kind"
                ? kindPreflight(config.clusters.length, { nodeImage: config.kindNodeImage })
                : existingPreflight(config.clusters);
        for (const line of report) pulumi.log.info(`preflight: ${line}`);
    }
    return config;
}

async function main() {
    const config = clearly(configure);
    const last = await lastOutputs();
    const revisions = clearly(() => planForConfig(config, runningRevisions(last)));
    const discovery = await discoveryUpkeep(config, last);
    for (const warning of discovery.warnings) pulumi.log.warn(warning);
    const mesh = buildMesh(config, revisions, discovery.options);

    return {
        istioVersion: config.istioVersion,
        // Read back by the next update (components/revision-memory.ts); written only once in place,
        // so a failed update leaves the previous record.
        istioRevisions: mesh.revisionsInPlace,
        meshId: config.meshId,
        discovery: config.discovery,
        ...discovery.outputs,
        provisioner: config.provisioner,
        clusters: mesh.clusters.map((cluster, k) => ({
            context: cluster.spec.context,
            clusterName: cluster.spec.clusterName,
            network: cluster.spec.network,
            apiServer: cluster.apiServer,
            eastWestGatewayAddress: mesh.controlPlanes[k].gatewayAddress,
            helloworldVersions: mesh.sampleApps[k]?.versions ?? [],
        })),
        rootCertPem: mesh.pki.rootCertPem,
        kubeconfigs: pulumi.secret(
            Object.fromEntries(mesh.clusters.filter((c) => c.kubeconfig).map((c) => [c.spec.context, c.kubeconfig!])),
        ),
    };
}

// The language host awaits the exported promise; its value is the stack's outputs, its rejection the
// program's one error message. Handled at once, so Node adds no PromiseRejectionHandledWarning.
const outputs = main();
outputs.catch(() => undefined);
export = outputs;
