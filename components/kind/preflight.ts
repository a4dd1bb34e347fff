// Checks before any kind cluster is created: docker, kind, kubectl, inotify limits.
import { readFileSync } from "fs";
import * as path from "path";
import { podSubnet, serviceSubnet, subnetsClashWithDocker } from "../address-plan";
import { PreflightError, lastLine, run } from "../run";
import { ipv4SubnetOf } from "./docker-network";

export const MIN_KIND_VERSION = "0.33.0"; // the release the pinned node image comes from

export interface PreflightOptions {
    env?: NodeJS.ProcessEnv;
    /** The kind node image: its Kubernetes version sets the kubectl versions that work with it. */
    nodeImage?: string;
    /** Where /proc is (tests point it at a fake tree). */
    procRoot?: string;
    platform?: NodeJS.Platform;
}

/** inotify limits for n kind clusters: kind's recommendation for several clusters, more beyond four. */
export function inotifyRequirement(clusterCount: number): { watches: number; instances: number } {
    if (clusterCount < 2) return { watches: 0, instances: 0 };
    return { watches: Math.max(524288, 131072 * clusterCount), instances: Math.max(512, 128 * clusterCount) };
}

function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let k = 0; k < 3; k++) if ((pa[k] ?? 0) !== (pb[k] ?? 0)) return (pa[k] ?? 0) - (pb[k] ?? 0);
    return 0;
}

/** Returns report lines (versions found); throws PreflightError listing every problem with its fix. */
export function kindPreflight(clusterCount: number, options: PreflightOptions = {}): string[] {
    const env = options.env ?? process.env;
    const problems: string[] = [];
    const report: string[] = [];

    const docker = run("docker", ["version", "--format", "{{.Server.Version}}"], env);
    if (!docker.found) {
        problems.push("docker is not installed: install Docker Engine (Linux) or Docker Desktop, then retry.");
    } else if (!docker.ok) {
        problems.push(
            `Docker is not reachable (${lastLine(docker.stderr) || "docker version failed"}): start Docker, ` +
                "or check DOCKER_HOST and that your user may use the docker socket.",
        );
    } else {
        report.push(`docker server ${docker.stdout.trim()}`);
        problems.push(...dockerNetworkProblems(clusterCount, env));
    }

    const kind = run("kind", ["version"], env);
    if (!kind.found) {
        problems.push(
            `kind is not installed: install kind v${MIN_KIND_VERSION} or later (https://kind.sigs.k8s.io/docs/user/quick-start/#installation).`,
        );
    } else {
        const version = /v(\d+\.\d+\.\d+)/.exec(kind.stdout)?.[1];
        if (!kind.ok || !version) {
            problems.push(`kind version failed (${lastLine(kind.stderr || kind.stdout)}): reinstall kind v${MIN_KIND_VERSION} or later.`);
        } else if (compareVersions(version, MIN_KIND_VERSION) < 0) {
            problems.push(`kind v${version} is older than v${MIN_KIND_VERSION}, the release of the pinned node image: upgrade kind.`);
        } else {
            report.push(`kind v${version}`);
        }
    }

    const kubectl = run("kubectl", ["version", "--client", "-o", "json"], env);
    if (!kubectl.found) {
        problems.push("kubectl is not installed: install kubectl (https://kubernetes.io/docs/tasks/tools/).");
    } else {
        let version: string | undefined;
        try {
            version = JSON.parse(kubectl.stdout).clientVersion?.gitVersion;
        } catch {
            version = undefined;
        }
        if (!kubectl.ok || !version) problems.push(`kubectl version failed (${lastLine(kubectl.stderr)}): reinstall kubectl.`);
        else {
            const skew = kubectlSkew(version, options.nodeImage);
            if (skew) problems.push(skew);
            else report.push(`kubectl ${version}`);
        }
    }

    if ((options.platform ?? process.platform) === "linux") {
        const need = inotifyRequirement(clusterCount);
        const procRoot = options.procRoot ?? "/proc";
        const read = (name: string) => {
            try {
                return Number(readFileSync(path.join(procRoot, "sys/fs/inotify", name), "utf8").trim());
            } catch {
                return undefined;
            }
        };
        const watches = read("max_user_watches");
        const instances = read("max_user_instances");
        if (watches !== undefined && instances !== undefined) {
            report.push(`inotify max_user_watches=${watches} max_user_instances=${instances}`);
            if (watches < need.watches || instances < need.instances) {
                problems.push(
                    `inotify limits are too low for ${clusterCount} kind clusters (max_user_watches=${watches}, need ${need.watches}; ` +
                        `max_user_instances=${instances}, need ${need.instances}); pods fail with "too many open files". Fix: ` +
                        `sudo sysctl fs.inotify.max_user_watches=${need.watches} fs.inotify.max_user_instances=${need.instances} ` +
                        "(to keep it, put both lines in /etc/sysctl.d/99-kind.conf).",
                );
            }
        }
    }

    if (problems.length > 0) throw new PreflightError(problems);
    return report;
}

/**
 * kubectl works with an API server one minor version older or newer than itself (Kubernetes' skew
 * policy): the node image's version decides (kindest/node:v1.36.4 -> kubectl 1.35 to 1.37).
 */
export function kubectlSkew(kubectlVersion: string, nodeImage: string | undefined): string | undefined {
    const kubernetes = /:v1\.(\d+)\.\d+/.exec(nodeImage ?? "")?.[1];
    const client = /^v1\.(\d+)\./.exec(kubectlVersion)?.[1];
    if (kubernetes === undefined || client === undefined) return undefined;
    const minor = Number(kubernetes);
    if (Math.abs(Number(client) - minor) <= 1) return undefined;
    return (
        `kubectl ${kubectlVersion} does not work with the clusters' Kubernetes 1.${minor} (kubectl must be within one minor ` +
        `version: 1.${minor - 1} to 1.${minor + 1}): install kubectl 1.${minor} (https://kubernetes.io/docs/tasks/tools/) first on PATH.`
    );
}

/** The clusters' pod and service subnets must stay clear of the docker network, if it exists yet. */
function dockerNetworkProblems(clusterCount: number, env: NodeJS.ProcessEnv): string[] {
    const network = env.KIND_EXPERIMENTAL_DOCKER_NETWORK || "kind";
    const inspect = run("docker", ["network", "inspect", network, "--format", "{{json .IPAM.Config}}"], env);
    if (!inspect.ok) return []; // kind creates it; kind-cluster create checks again then
    const subnet = ipv4SubnetOf(inspect.stdout);
    return Array.from({ length: clusterCount }, (_, k) => k + 1).flatMap((i) =>
        subnetsClashWithDocker(subnet, { [`istio-${i} service subnet`]: serviceSubnet(i), [`istio-${i} pod subnet`]: podSubnet(i) }).map(
            (clash) => `${clash} (docker network ${network}): recreate that network on another subnet, or fewer clusters.`,
        ),
    );
}
