// What every file of the real-clusters tier shares: the reason it is skipped, its network (one per
// file, made before its first test and ended after its last), its cases (all closed at the end
// whatever failed), and the CLI as users run it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before } from "node:test";
import { tempDir } from "../temp";
import { KwokCluster } from "./kwok";
import { CaseOptions, MeshCase } from "./mesh-case";
import { TestNetwork } from "./netns";
import { tail } from "./stack";
import { pluginVersions, realClustersUnavailable } from "./tools";

/** Why the tier cannot run here (printed once per file), or undefined. */
export const skip = realClustersUnavailable();

let net: TestNetwork | undefined;
const opened: MeshCase[] = [];

/** Registers the file's network and the closing of its cases; call once at the top of a test file. */
export function useTier(): void {
    if (skip) console.log(`skipped: the real-clusters tier ${skip}`);
    before(async () => {
        if (skip) return;
        net = await TestNetwork.create(tempDir("real-clusters-home"));
        const plugins = Object.entries(pluginVersions()).map(([name, v]) => `${name} ${v.built} (the lock file asks ${v.asked})`);
        console.log(`real-clusters: provider plugins that run: ${plugins.join(", ")}`);
    });
    after(async () => {
        for (const mesh of opened) await mesh.close();
        await net?.close();
    });
}

export function network(): TestNetwork {
    if (!net) throw new Error("the test network is not up (useTier() before the first test)");
    return net;
}

export async function open(name: string, count: number, options?: CaseOptions): Promise<MeshCase> {
    const mesh = await MeshCase.open(network(), name, count, options);
    opened.push(mesh);
    return mesh;
}

/** A case for one test: opened, given to `body`, and closed when the test ends (its memory freed for the next). */
export async function withCase(
    name: string,
    count: number,
    options: CaseOptions | undefined,
    body: (mesh: MeshCase) => Promise<void>,
): Promise<void> {
    const mesh = await open(name, count, options);
    try {
        await body(mesh);
    } finally {
        await mesh.close();
    }
}

/** What destroy leaves by design (README, Destroy): Istio's CRDs with the API groups served for them, istiod's CA ConfigMaps. */
export const LEFT_BY_DESIGN =
    /^(CustomResourceDefinition\.apiextensions\.k8s\.io [a-z]+\.[a-z.]*istio\.io|APIService\.apiregistration\.k8s\.io v1[a-z0-9]*\.[a-z.]*istio\.io|ConfigMap [a-z0-9-]+\/istio-ca-(root-cert|crl))$/;

/** The README's bash block that starts with `# <title>`: what users are told to run is what runs here. */
export function readmeCommands(title: string): string {
    const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const block = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.startsWith(`# ${title}\n`));
    if (!block) throw new Error(`README.md has no bash block starting with "# ${title}"`);
    return block;
}

/** Runs a bash line with $CONTEXT set to the cluster's context, inside the test network, helm and kubectl on the case's kubeconfig. */
export async function shell(mesh: MeshCase, cluster: KwokCluster, line: string): Promise<string> {
    const helm = path.join(mesh.dir, "helm");
    return network().mustRun("bash", ["-euo", "pipefail", "-c", line], {
        env: {
            ...process.env,
            KUBECONFIG: mesh.clusters.kubeconfig,
            CONTEXT: cluster.name,
            HELM_CACHE_HOME: helm,
            HELM_CONFIG_HOME: helm,
            HELM_DATA_HOME: helm,
        },
        timeoutMs: 300_000,
    });
}

export async function up(mesh: MeshCase, extra: string[] = []): Promise<string> {
    const run = await mesh.stack.pulumi(["up", "--yes", ...extra]);
    assert.equal(run.status, 0, `pulumi up failed:\n${tail(run.stdout + run.stderr)}`);
    return run.stdout + run.stderr;
}

export async function destroy(mesh: MeshCase, extra: string[] = []): Promise<void> {
    const run = await mesh.stack.pulumi(["destroy", "--yes", ...extra]);
    assert.equal(run.status, 0, `pulumi destroy failed:\n${tail(run.stdout + run.stderr)}`);
}

export async function expectNoChanges(mesh: MeshCase, command: "preview" | "refresh"): Promise<void> {
    const args = command === "preview" ? ["preview", "--expect-no-changes"] : ["refresh", "--yes", "--expect-no-changes"];
    const run = await mesh.stack.pulumi(args);
    assert.equal(run.status, 0, `pulumi ${args.join(" ")} found changes:\n${tail(run.stdout + run.stderr)}`);
}
