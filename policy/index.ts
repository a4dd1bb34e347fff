// Policy pack for the mesh: `pulumi preview --policy-pack policy` (after `npm ci` in policy/).
import { PolicyPack, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { PolicyResource, cacertsLayout, credentialsStaySecret, istiodIdentity, remoteSecretLayout, rootKeyStaysOut } from "./rules";

function resource(args: ResourceValidationArgs | StackValidationArgs["resources"][number]): PolicyResource {
    return { type: args.type, name: args.name, props: args.props, additionalSecretOutputs: args.opts?.additionalSecretOutputs ?? [] };
}

const perResource = (check: (r: PolicyResource) => string[]) => (args: ResourceValidationArgs, report: ReportViolation) =>
    check(resource(args)).forEach((p) => report(p));
const perStack = (check: (rs: PolicyResource[]) => string[]) => (args: StackValidationArgs, report: ReportViolation) =>
    check(args.resources.map(resource)).forEach((p) => report(p));

new PolicyPack("istio-multicluster", {
    policies: [
        {
            name: "cacerts-layout",
            description: "Istio's plug-in CA: cacerts in istio-system with exactly its four keys, chain = intermediate + root.",
            enforcementLevel: "mandatory",
            validateResource: perResource(cacertsLayout),
        },
        {
            name: "remote-secret-layout",
            description:
                "Remote secrets carry istio/multiCluster=true and networking.istio.io/cluster, live in istio-system, one key per cluster.",
            enforcementLevel: "mandatory",
            validateResource: perResource(remoteSecretLayout),
        },
        {
            name: "credentials-stay-secret",
            description: "Private keys, tokens and kubeconfigs appear only as Pulumi secrets, never in logs or plain objects.",
            enforcementLevel: "mandatory",
            validateResource: perResource(credentialsStaySecret),
        },
        {
            name: "root-ca-key-stays-out",
            description: "The root CA's private key is never written into any cluster.",
            enforcementLevel: "mandatory",
            validateStack: perStack(rootKeyStaysOut),
        },
        {
            name: "istiod-mesh-identity",
            description: "Every istiod has the same mesh ID and its own cluster name and network.",
            enforcementLevel: "mandatory",
            validateStack: perStack(istiodIdentity),
        },
    ],
});
