// The host-side tier on a real Docker engine and the real kind CLI. What it makes is named
// istio-mc-test-<pid>-*, and removed by `cleanup()`: containers, the network, the node image,
// the temporary folder (HOME, TMPDIR and the kubeconfig of the tests).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describeMissing, which } from "./real-tools";

export const ROOT = path.join(__dirname, "..");
export const PREFIX = `istio-mc-test-${process.pid}`;

const HOST_TOOLS = ["docker", "kind", "kubectl", "go", "busybox"];

/** Why this tier cannot run here: every tool missing and a Docker engine that does not answer, in one line; or undefined. */
export function dockerTierSkip(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const why: string[] = [];
    const missing = HOST_TOOLS.filter((tool) => !which(tool, env));
    if (missing.length > 0) why.push(describeMissing(missing));
    if (!missing.includes("docker") && spawnSync("docker", ["info"], { env }).status !== 0) {
        why.push(
            "needs a running Docker engine you may use (docker info failed: start dockerd, or check DOCKER_HOST and your docker group)",
        );
    }
    if (why.length === 0) return undefined;
    if (env.CI === "true") throw new Error(`CI runs the host-side tier: ${why.join("; ")}`);
    return why.join("; ");
}

export interface Run {
    status: number;
    stdout: string;
    stderr: string;
}

export function sh(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: Buffer | string; cwd?: string } = {}): Run {
    const result = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...options });
    return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

export function docker(...args: string[]): string {
    const result = sh("docker", args);
    assert.equal(result.status, 0, `docker ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
}

const CONTAINERD = `#!/bin/sh
[ "$1 $2" = "config dump" ] || exit 1
printf 'version = 3\\n[plugins."io.containerd.cri.v1.images"]\\n  snapshotter = "overlayfs"\\n'
`;
const CTR = `#!/bin/sh
mkdir -p /imported
n=$(ls /imported | wc -l)
cat > /imported/$n.tar
echo "ctr $*" > /imported/$n.args
`;

/** A static root with busybox and the API stand-in, imported as an image: nothing is pulled. */
function buildNodeImage(dir: string, image: string): void {
    const rootfs = path.join(dir, "rootfs");
    mkdirSync(path.join(rootfs, "bin"), { recursive: true });
    copyFileSync(which("busybox")!, path.join(rootfs, "bin", "busybox"));
    chmodSync(path.join(rootfs, "bin", "busybox"), 0o755);
    for (const tool of ["sh", "cat", "sleep", "ls", "touch", "rm", "mkdir"]) symlinkSync("busybox", path.join(rootfs, "bin", tool));
    // What `kind load` asks of a node's containerd: its config, and `ctr images import -`,
    // which here keeps the archive it is given in /imported.
    writeFileSync(path.join(rootfs, "bin", "containerd"), CONTAINERD, { mode: 0o755 });
    writeFileSync(path.join(rootfs, "bin", "ctr"), CTR, { mode: 0o755 });
    const built = sh("go", ["build", "-trimpath", "-o", path.join(rootfs, "api-stub"), "."], {
        cwd: path.join(__dirname, "api-stub"),
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "" },
    });
    assert.equal(built.status, 0, `building test/api-stub: ${built.stderr}`);
    const tar = spawnSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 64 * 1024 * 1024 });
    const imported = sh("docker", ["import", "--change", 'ENTRYPOINT ["/api-stub"]', "-", image], { input: tar.stdout });
    assert.equal(imported.status, 0, imported.stderr);
    rmSync(rootfs, { recursive: true, force: true });
}

export interface DockerHost {
    dir: string;
    kubeconfig: string;
    network: string;
    image: string;
    env: NodeJS.ProcessEnv;
    /** kind calls made so far ("kind create cluster --name ..."). */
    kindCalls(): string[];
    /** Runs a command line as @pulumi/command does (`sh -c`, in the project folder). */
    command(line: string, env?: Record<string, string>): Run;
    /** Names of node containers of this host's clusters. */
    nodes(): string[];
    cleanup(): void;
}

/** A docker network, node image and private HOME for one test file. */
export function dockerHost(): DockerHost {
    const dir = mkdtempSync(path.join(tmpdir(), `${PREFIX}-`));
    const image = `${PREFIX}-node:v1`;
    const network = `${PREFIX}-net`;
    buildNodeImage(dir, image);
    docker("network", "create", "--label", `${PREFIX}=1`, network);
    const calls = path.join(dir, "kind-calls.log");
    mkdirSync(path.join(dir, "tmp"));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${path.join(__dirname, "real-kind")}:${process.env.PATH}`,
        REAL_KIND: which("kind")!,
        REAL_DOCKER: which("docker")!,
        KIND_CALLS: calls,
        KIND_EXPERIMENTAL_DOCKER_NETWORK: network,
        HOME: path.join(dir, "home"),
        TMPDIR: path.join(dir, "tmp"),
        KUBECONFIG: path.join(dir, "home", ".kube", "config"),
        NODE_OPTIONS: "",
    };
    const host: DockerHost = {
        dir,
        kubeconfig: env.KUBECONFIG!,
        network,
        image,
        env,
        kindCalls: () => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n").filter(Boolean) : []),
        command: (line, extra = {}) => sh("sh", ["-c", line], { cwd: ROOT, env: { ...env, ...extra } }),
        nodes: () =>
            docker("ps", "-a", "--filter", `label=io.x-k8s.kind.cluster`, "--format", "{{.Names}}")
                .split("\n")
                .filter((n) => n.startsWith(PREFIX)),
        cleanup: () => {
            const containers = sh("docker", ["ps", "-aq", "--filter", `name=^${PREFIX}`])
                .stdout.split("\n")
                .filter(Boolean);
            if (containers.length > 0) sh("docker", ["rm", "-f", ...containers]);
            sh("docker", ["network", "rm", network]);
            sh("docker", ["image", "rm", "-f", image]);
            rmSync(dir, { recursive: true, force: true });
        },
    };
    return host;
}
