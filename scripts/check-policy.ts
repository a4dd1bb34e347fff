// npm run check-policy [-- --config key=value ...]: the policy pack's mandatory rules
// (policy/rules.ts) on the program's declared resources, with every value known (deterministic
// mocks), so no rule is downgraded for an unknown value as in a preview of new resources.
import { PolicyResource, cacertsLayout, credentialsStaySecret, istiodIdentity, remoteSecretLayout, rootKeyStaysOut } from "../policy/rules";
import { parseConfigFlags, parseFlags } from "./cli";
import * as path from "node:path";
import { recordGraph } from "./plan-diff/record";

const USAGE = `Usage: npm run check-policy -- [--config key=value ...]

Runs the policy pack's mandatory rules on the resources the program declares; exits 1 on a violation.
`;

const RULES: Record<string, (resources: PolicyResource[]) => string[]> = {
    "cacerts-layout": (rs) => rs.flatMap(cacertsLayout),
    "remote-secret-layout": (rs) => rs.flatMap(remoteSecretLayout),
    "credentials-stay-secret": (rs) => rs.flatMap(credentialsStaySecret),
    "root-ca-key-stays-out": rootKeyStaysOut,
    "istiod-mesh-identity": istiodIdentity,
};

async function main(): Promise<void> {
    const flags = parseFlags(process.argv.slice(2), USAGE, { config: { type: "string", multiple: true } });
    const graph = await recordGraph(path.join(__dirname, ".."), parseConfigFlags(flags.config ?? [], USAGE));
    const resources: PolicyResource[] = graph.resources.map((r) => ({
        type: r.type,
        name: r.name,
        props: r.inputs,
        additionalSecretOutputs: r.additionalSecretOutputs,
    }));
    let violations = 0;
    for (const [name, rule] of Object.entries(RULES)) {
        const problems = rule(resources);
        violations += problems.length;
        console.log(problems.length === 0 ? `ok      ${name}` : `FAILED  ${name}\n${problems.map((p) => `          - ${p}`).join("\n")}`);
    }
    console.log(
        violations === 0
            ? `all ${Object.keys(RULES).length} mandatory rules pass on ${resources.length} resources`
            : `${violations} violations`,
    );
    process.exitCode = violations === 0 ? 0 : 1;
}

main().catch((error) => {
    console.error(`check-policy: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
});
