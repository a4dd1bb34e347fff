// Lifecycle of one kind cluster for the KindCluster component (run by @pulumi/command as
// `node --import tsx scripts/kind-cluster.ts <create|delete|kubeconfig>`).
//
//   create      create the cluster, or adopt one left by an earlier run if it is healthy and
//               matches the config (else delete and recreate it); put context $KUBE_CONTEXT into
//               the user's kubeconfig; print {"apiServer": ..., "network": <docker IPAM config>}.
//               A failure after kind created the cluster deletes it again.
//   delete      delete the cluster ("gone" only when kind says so) and our kubeconfig entries
//   kubeconfig  print the cluster's admin kubeconfig (a secret: callers hide it)
//
// Environment: KIND_CLUSTER_NAME (required), KUBE_CONTEXT (default: the cluster name),
// KIND_CONFIG (kind config YAML, for create), KUBECONFIG (the user's; its first file is edited),
// KIND_EXPERIMENTAL_DOCKER_NETWORK (kind's network, default kind).
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { subnetsClashWithDocker } from "../components/address-plan";
import { ipv4SubnetOf } from "../components/kind/docker-network";
import { mergeKindContext, removeKindContext, userKubeconfig } from "./host/kubeconfig";
import { ToolError, log, main, mustRun, required, run, withTempDir } from "./host/tool";

const name = process.env.KIND_CLUSTER_NAME ?? "";
const context = process.env.KUBE_CONTEXT || name;
const network = process.env.KIND_EXPERIMENTAL_DOCKER_NETWORK || "kind";
const node = `${name}-control-plane`;
const say = (message: string) => log(name, message);

/** kind's clusters; kind failing (Docker down, say) is an error, never "no clusters". */
function kindClusters(): string[] {
    return mustRun("kind", ["get", "clusters"])
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
}

interface NodeContainer {
    running: boolean;
    image: string;
    address?: string;
}

function inspectNode(): NodeContainer | undefined {
    const result = run("docker", ["container", "inspect", node]);
    if (result.status !== 0) {
        if (/no such (container|object)/i.test(result.stderr)) return undefined;
        throw new ToolError(`docker container inspect ${node}`, result);
    }
    const [info] = JSON.parse(result.stdout);
    return {
        running: info.State?.Running === true,
        image: info.Config?.Image ?? "",
        address: info.NetworkSettings?.Networks?.[network]?.IPAddress || undefined,
    };
}

interface Desired {
    image: string;
    podSubnet: string;
    serviceSubnet: string;
}

function desiredFrom(configYaml: string): Desired {
    const config = parse(configYaml);
    return {
        image: config?.nodes?.[0]?.image ?? "",
        podSubnet: config?.networking?.podSubnet ?? "",
        serviceSubnet: config?.networking?.serviceSubnet ?? "",
    };
}

/** Why an existing cluster cannot be adopted, or [] if it is healthy and matches the config. */
function adoptionProblems(desired: Desired, dir: string): string[] {
    const container = inspectNode();
    if (!container) return [`its node container ${node} is missing`];
    if (!container.running) return [`its node container ${node} is not running`];
    const problems: string[] = [];
    if (desired.image && container.image !== desired.image)
        problems.push(`it runs node image ${container.image}, the config wants ${desired.image}`);
    const kubeadm = run("docker", ["exec", node, "cat", "/kind/kubeadm.conf"]);
    for (const key of ["podSubnet", "serviceSubnet"] as const) {
        const actual = new RegExp(`^\\s*${key}:\\s*"?([^"\\s]+)"?\\s*$`, "m").exec(kubeadm.stdout)?.[1];
        if (actual !== desired[key]) problems.push(`its ${key} is ${actual ?? "unknown"}, the config wants ${desired[key]}`);
    }
    const kubeconfig = run("kind", ["get", "kubeconfig", "--name", name]);
    if (kubeconfig.status !== 0) return [...problems, `its kubeconfig cannot be read (${kubeconfig.stderr.trim()})`];
    const file = path.join(dir, "adopt.kubeconfig");
    writeFileSync(file, kubeconfig.stdout, { mode: 0o600 });
    const ready = run("kubectl", ["--kubeconfig", file, "get", "--raw", "/readyz", "--request-timeout", "10s"]);
    if (ready.status !== 0) problems.push(`its API server does not answer /readyz (${ready.stderr.trim().split("\n").pop()})`);
    return problems;
}

function kindDelete(dir: string): void {
    // --kubeconfig: kind must not edit the user's file; removeKindContext does that.
    mustRun("kind", ["delete", "cluster", "--name", name, "--kubeconfig", path.join(dir, "kind.kubeconfig")], { passStderr: true });
}

const inspectNetwork = ["network", "inspect", network, "--format", "{{json .IPAM.Config}}"];

/** Fails if the cluster's subnets overlap the docker network (its IPAM config as docker prints it). */
function checkSubnets(desired: Desired, ipamJson: string): void {
    const clashes = subnetsClashWithDocker(ipv4SubnetOf(ipamJson), {
        "pod subnet": desired.podSubnet,
        "service subnet": desired.serviceSubnet,
    });
    if (clashes.length > 0) throw new Error(`kind cluster ${name}: ${clashes.join("; ")} (docker network ${network})`);
}

function create(): void {
    const configYaml = required("KIND_CONFIG");
    const desired = desiredFrom(configYaml);
    withTempDir("kind", (dir) => {
        const before = run("docker", inspectNetwork);
        if (before.status === 0) checkSubnets(desired, before.stdout); // else kind makes the network
        let adopted = false;
        if (kindClusters().includes(name)) {
            const problems = adoptionProblems(desired, dir);
            adopted = problems.length === 0;
            if (adopted) say(`kind cluster ${name} exists from an earlier run, healthy and as configured: adopting it`);
            else {
                say(`kind cluster ${name} exists but ${problems.join("; ")}: deleting and recreating it`);
                kindDelete(dir);
            }
        }
        if (!adopted) {
            const configFile = path.join(dir, "kind.yaml");
            writeFileSync(configFile, configYaml);
            mustRun(
                "kind",
                [
                    "create",
                    "cluster",
                    "--name",
                    name,
                    "--config",
                    configFile,
                    "--kubeconfig",
                    path.join(dir, "kind.kubeconfig"),
                    "--wait",
                    "180s",
                ],
                { passStderr: true },
            );
        }
        try {
            mergeKindContext(userKubeconfig(), name, context, mustRun("kind", ["get", "kubeconfig", "--name", name]));
            say(`kube context ${context} is ready`);
            const address = inspectNode()?.address;
            if (!address) throw new Error(`cannot find the address of ${node} on the docker network ${network}`);
            const ipam = mustRun("docker", inspectNetwork);
            checkSubnets(desired, ipam);
            process.stdout.write(`${JSON.stringify({ apiServer: `https://${address}:6443`, network: JSON.parse(ipam) })}\n`);
        } catch (error) {
            if (!adopted) {
                say(`cleaning up after the failure: deleting the cluster this run created`);
                cleanup(dir);
            }
            throw error;
        }
    });
}

/** Best effort after a failure: each step's own failure is reported, not thrown over the first. */
function cleanup(dir: string): void {
    for (const step of [() => kindDelete(dir), () => removeKindContext(userKubeconfig(), name, context)]) {
        try {
            step();
        } catch (error) {
            say(`cleanup: ${(error as Error).message}`);
        }
    }
}

function destroy(): void {
    withTempDir("kind", (dir) => {
        if (kindClusters().includes(name)) kindDelete(dir);
        else say(`kind reports no cluster ${name}: already gone`);
        removeKindContext(userKubeconfig(), name, context);
    });
}

const commands: Record<string, () => void> = {
    create,
    delete: destroy,
    kubeconfig: () => process.stdout.write(mustRun("kind", ["get", "kubeconfig", "--name", name])),
};

main(() => {
    required("KIND_CLUSTER_NAME");
    const command = commands[process.argv[2] ?? ""];
    if (!command) throw new Error("usage: kind-cluster.ts create|delete|kubeconfig");
    command();
});
