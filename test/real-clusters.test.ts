// The real-clusters tier, the lab: the program run the way users run it (the real Pulumi CLI,
// language host and provider plugins) against real Kubernetes API servers with a real istiod each
// (test/real-clusters/), in a network namespace of its own: endpoint discovery on three clusters
// (what is in each, the lab's proof, security, scaling, destroy), on six, and federated discovery.
// Each case has its own clusters, chart repository and file backend, removed at the end even when it
// fails; the cases run one after another. test/real-clusters-lifecycle.test.ts has the upgrades and
// the clusters that go away.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { added, everything, getJson, helmReleases, remoteKubeconfig, secretData } from "./real-clusters/inspect";
import { KwokCluster } from "./real-clusters/kwok";
import { MeshCase } from "./real-clusters/mesh-case";
import { assertLabProof, expectedEndpoints } from "./real-clusters/proof";
import { tail } from "./real-clusters/stack";
import { LEFT_BY_DESIGN, destroy, expectNoChanges, open, readmeCommands, shell, skip, up, useTier, withCase } from "./real-clusters/tier";
import { pluginVersions } from "./real-clusters/tools";
import { HELLOWORLD, endpointsFor, proxyOf } from "./real-clusters/xds";

useTier();

const READER = "system:serviceaccount:istio-system:istio-reader-service-account";
/** What `kubectl auth can-i --list` shows for the reader token in a namespace: "resource [verbs]", measured (README, security). */
const READER_RULES = [
    "*.authentication.istio.io [get list watch]",
    "*.config.istio.io [get list watch]",
    "*.extensions.istio.io [get list watch]",
    "*.networking.istio.io [get list watch]",
    "*.rbac.istio.io [get list watch]",
    "*.security.istio.io [get list watch]",
    "*.telemetry.istio.io [get list watch]",
    "configmaps [get list watch]",
    "customresourcedefinitions.apiextensions.k8s.io [get list watch]",
    "endpoints [get list watch]",
    "endpointslices.discovery.k8s.io [get list watch]",
    "gateways.gateway.networking.k8s.io [get watch list]",
    "gateways.networking.x-k8s.io [get watch list]",
    "namespaces [get list watch]",
    "nodes [get list watch]",
    "pods [get list watch]",
    "replicasets.apps [get list watch]",
    "replicationcontrollers [get list watch]",
    "secrets [get list watch]",
    "selfsubjectaccessreviews.authorization.k8s.io [create]",
    "selfsubjectreviews.authentication.k8s.io [create]",
    "selfsubjectrulesreviews.authorization.k8s.io [create]",
    "serviceexports.multicluster.x-k8s.io [get list watch create delete]",
    "serviceimports.multicluster.x-k8s.io [get list watch]",
    "services [get list watch]",
    "subjectaccessreviews.authorization.k8s.io [create]",
    "tokenreviews.authentication.k8s.io [create]",
    "workloadentries.networking.istio.io [get watch list]",
];

interface PreviewStep {
    op: string;
    urn: string;
    oldState?: any;
    newState?: any;
}

/** `pulumi preview --json`: the steps that are not "same". */
async function plannedSteps(mesh: MeshCase): Promise<PreviewStep[]> {
    const run = await mesh.stack.pulumi(["preview", "--json", "--diff"]);
    assert.equal(run.status, 0, `pulumi preview failed:\n${tail(run.stdout + run.stderr)}`);
    return (JSON.parse(run.stdout).steps as PreviewStep[]).filter((s) => s.op !== "same");
}

const resourceName = (urn: string) => urn.split("::").pop()!;

// ---------------------------------------------------------------------------------------------
// Endpoint discovery, N = 3: the lab.

let lab: MeshCase | undefined;
let labBaseline = new Map<number, string[]>();
let labUp = false;

test("endpoint discovery, N=3: a real `pulumi up` on three API servers succeeds", { skip, timeout: 1_200_000 }, async () => {
    lab = await open("lab", 3);
    for (const c of lab.clusters.clusters) labBaseline.set(c.index, await everything(lab.clusters, c));
    const output = await up(lab);
    assert.doesNotMatch(output, /error:/);
    // The engine says which plugin version really ran where it differs from the lock file's.
    for (const [name, { asked, built }] of Object.entries(pluginVersions())) {
        if (asked !== built)
            assert.match(output, new RegExp(`resource plugin ${name} is expected to have version >=${asked}, but has ${built}`));
    }
    labUp = true;
});

function labCase(): MeshCase {
    if (!lab || !labUp) throw new Error("the lab's `pulumi up` did not succeed (see the first test of this file)");
    return lab;
}

test(
    "endpoint discovery, N=3: each cluster holds its network label, cacerts of the one root, the releases, istiod, the gateway and its address",
    { skip },
    async () => {
        const mesh = labCase();
        const outputs = await mesh.stack.outputs();
        const root = path.join(mesh.dir, "root.pem");
        writeFileSync(root, outputs.rootCertPem);
        for (const c of mesh.clusters.clusters) {
            const ns = await getJson(mesh.clusters, c, ["namespace", "istio-system"]);
            assert.equal(ns.metadata.labels["topology.istio.io/network"], `network${c.index}`);

            const cacerts = secretData(await getJson(mesh.clusters, c, ["secret", "cacerts", "-n", "istio-system"]));
            assert.deepEqual(Object.keys(cacerts).sort(), ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
            assert.equal(cacerts["root-cert.pem"].trim(), outputs.rootCertPem.trim(), "the one root");
            assert.equal(cacerts["cert-chain.pem"], cacerts["ca-cert.pem"] + cacerts["root-cert.pem"]);
            const intermediate = path.join(mesh.dir, `ca-${c.index}.pem`);
            writeFileSync(intermediate, cacerts["ca-cert.pem"]);
            assert.equal(
                execFileSync("openssl", ["verify", "-CAfile", root, intermediate], { encoding: "utf8" }).trim(),
                `${intermediate}: OK`,
            );
            assert.match(
                execFileSync("openssl", ["x509", "-in", intermediate, "-noout", "-subject"], { encoding: "utf8" }),
                new RegExp(`L\\s*=\\s*cluster${c.index}`),
            );

            assert.deepEqual(await helmReleases(mesh.clusters, c, "istio-system"), {
                "istio-base": "deployed",
                "istiod-1-31-1": "deployed",
                "istio-eastwestgateway": "deployed",
            });
            for (const deployment of ["istiod-1-31-1", "istio-eastwestgateway"]) {
                const d = await getJson(mesh.clusters, c, ["deployment", deployment, "-n", "istio-system"]);
                const available = d.status.conditions.find((x: any) => x.type === "Available");
                assert.equal(available?.status, "True", `${deployment} in ${c.name} is Available`);
            }
            const gateway = await getJson(mesh.clusters, c, ["service", "istio-eastwestgateway", "-n", "istio-system"]);
            assert.equal(gateway.status.loadBalancer.ingress[0].ip, c.gatewayAddress);
            assert.equal(outputs.clusters[c.index - 1].eastWestGatewayAddress, c.gatewayAddress, "the stack output names it");
            assert.deepEqual(gateway.spec.ports.map((p: any) => p.port).sort(), [15012, 15017, 15021, 15443], "networkGateway ports");

            const crossNetwork = await getJson(mesh.clusters, c, [
                "gateways.networking.istio.io",
                "cross-network-gateway",
                "-n",
                "istio-system",
            ]);
            assert.deepEqual(crossNetwork.spec, {
                selector: { istio: "eastwestgateway" },
                servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
            });
            const tag = await getJson(mesh.clusters, c, ["mutatingwebhookconfiguration", "istio-revision-tag-default"]);
            assert.deepEqual(new Set(tag.webhooks.map((w: any) => w.clientConfig.service.name)), new Set(["istiod-1-31-1"]));
        }
    },
);

test(
    "endpoint discovery, N=3: N-1 remote secrets per cluster, each authenticating to its peer's API server as the reader, which may read but not write",
    { skip },
    async () => {
        const mesh = labCase();
        for (const consumer of mesh.clusters.clusters) {
            const secrets = await getJson(mesh.clusters, consumer, ["secrets", "-n", "istio-system", "-l", "istio/multiCluster=true"]);
            const peers = mesh.clusters.clusters.filter((c) => c !== consumer);
            assert.deepEqual(
                secrets.items.map((s: any) => s.metadata.name).sort(),
                peers.map((p) => `istio-remote-secret-cluster${p.index}`),
            );
            for (const remote of peers) {
                const secret = secrets.items.find((s: any) => s.metadata.name === `istio-remote-secret-cluster${remote.index}`);
                assert.equal(secret.metadata.annotations["networking.istio.io/cluster"], `cluster${remote.index}`);
                const data = secretData(secret);
                assert.deepEqual(Object.keys(data), [`cluster${remote.index}`]);
                const { file, config } = remoteKubeconfig(
                    mesh.dir,
                    `${consumer.name}-reads-${remote.name}`,
                    data[`cluster${remote.index}`],
                );
                assert.equal(config.clusters[0].cluster.server, remote.apiServer, "the peer's address, not loopback");
                const who = await mesh.clusters.kubectlResult([
                    "--kubeconfig",
                    file,
                    "auth",
                    "whoami",
                    "-o",
                    "jsonpath={.status.userInfo.username}",
                ]);
                assert.equal(who.stdout, READER, who.stderr);
                const can = async (...args: string[]) =>
                    (await mesh.clusters.kubectlResult(["--kubeconfig", file, "auth", "can-i", ...args])).stdout.trim();
                for (const allowed of [
                    ["watch", "pods", "-A"],
                    ["list", "endpointslices.discovery.k8s.io", "-A"],
                    ["get", "services", "-n", "sample"],
                ]) {
                    assert.equal(await can(...allowed), "yes", `the reader may ${allowed.join(" ")}`);
                }
                for (const denied of [
                    ["create", "pods", "-n", "sample"],
                    ["delete", "secrets", "-n", "istio-system"],
                    ["update", "deployments", "-A"],
                    ["create", "clusterrolebindings"],
                ]) {
                    assert.equal(await can(...denied), "no", `the reader may not ${denied.join(" ")}`);
                }
                // What the README's security section states: Istio's reader role reads every Secret.
                assert.equal(await can("list", "secrets", "-n", "kube-system"), "yes");
            }
        }
    },
);

test("endpoint discovery, N=3: the lab's samples: helloworld v1, v1, v2 and sleep, ready", { skip }, async () => {
    const mesh = labCase();
    for (const c of mesh.clusters.clusters) {
        const deployments = await getJson(mesh.clusters, c, ["deployments", "-n", "sample"]);
        const ready = deployments.items.filter((d: any) => d.status.readyReplicas === 1).map((d: any) => d.metadata.name);
        assert.deepEqual(ready.sort(), [c.index === 3 ? "helloworld-v2" : "helloworld-v1", "sleep"]);
        const ns = await getJson(mesh.clusters, c, ["namespace", "sample"]);
        assert.equal(ns.metadata.labels["istio-injection"], "enabled");
    }
});

const INVALID_VIRTUAL_SERVICE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: istio-mc-test-invalid, namespace: sample}
spec:
  hosts: [helloworld]
  http:
  - match: [{uri: {regex: "(["}}]
    route: [{destination: {host: helloworld}}]
`;

test(
    "endpoint discovery, N=3: a real istiod per cluster injected every sample pod with its revision; its webhook validates Istio objects",
    { skip },
    async () => {
        const mesh = labCase();
        for (const c of mesh.clusters.clusters) {
            assert.deepEqual(
                mesh.istiods!.of(c).map((i) => i.revision),
                ["1-31-1"],
                `${c.name}: one istiod, started from the program's Deployment`,
            );
            for (const namespace of ["sample", "istio-system"]) {
                const pods = await getJson(mesh.clusters, c, [
                    "pods",
                    "-n",
                    namespace,
                    "-l",
                    namespace === "sample" ? "app" : "istio=eastwestgateway",
                ]);
                assert.ok(pods.items.length > 0);
                for (const pod of pods.items) {
                    const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
                    const proxy = containers.find((x: any) => x.name === "istio-proxy");
                    assert.equal(
                        proxy?.image,
                        "docker.io/istio/proxyv2:1.31.1",
                        `${c.name} ${pod.metadata.name}: injected, with the default revision's proxy`,
                    );
                    // The injector records which revision injected the pod (an annotation, not a label).

                    assert.equal(pod.metadata.annotations["istio.io/rev"], "1-31-1");

                    assert.equal(JSON.parse(pod.metadata.annotations["sidecar.istio.io/status"]).revision, "1-31-1");
                }
            }
            // What the program wrote passes istiod's validation; an invalid object is refused by it.
            const gateway = await mesh.clusters.kubectl(c, [
                "get",
                "gateways.networking.istio.io",
                "cross-network-gateway",
                "-n",
                "istio-system",
                "-o",
                "yaml",
            ]);
            await mesh.clusters.kubectl(c, ["apply", "--dry-run=server", "-f", "-"], gateway);
            const invalid = await mesh.clusters.kubectlResult(
                ["--context", c.name, "apply", "--dry-run=server", "-f", "-"],
                INVALID_VIRTUAL_SERVICE,
            );
            assert.notEqual(invalid.status, 0);
            assert.match(invalid.stderr, /admission webhook "validation\.istio\.io" denied the request: configuration is invalid: .*regex/);
        }
    },
);

test(
    "endpoint discovery, N=3: the lab's proof: each sleep proxy gets its local helloworld pod and each other network's east-west gateway on 15443",
    { skip },
    async () => {
        const mesh = labCase();
        const timings = await assertLabProof(mesh);
        console.log(
            `real-clusters: every istiod told its sleep proxy all of helloworld within ${Math.max(...timings.map((t) => t.ms))} ms of asking`,
        );
        // A gateway's weight is the count of endpoints behind it: a second helloworld pod in cluster1
        // (a Pod of the test's own, from helloworld-v1's template, so nothing the stack owns changes),
        // weight 2 at network1's gateway for every other cluster; then it goes again.
        const [first, second] = mesh.clusters.clusters;
        const deployment = await getJson(mesh.clusters, first, ["deployment", "helloworld-v1", "-n", "sample"]);
        const extra = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "helloworld-extra", namespace: "sample", labels: deployment.spec.template.metadata.labels },
            spec: deployment.spec.template.spec,
        };
        const localCount = async () =>
            (await expectedEndpoints(mesh, first, "sample", mesh.clusters.clusters)).filter((e) => e.port === 5000).length;
        await mesh.clusters.kubectl(first, ["apply", "-f", "-"], JSON.stringify(extra));
        try {
            assert.ok((await within(60_000, async () => (await localCount()) === 2)) !== undefined, "cluster1 runs two helloworld pods");
            const seenBySecond = await expectedEndpoints(mesh, second, "sample", mesh.clusters.clusters);
            assert.deepEqual(
                seenBySecond.filter((e) => e.address === first.gatewayAddress).map((e) => e.weight),
                [2],
                "what cluster2's proxy must be told of network1",
            );
            await assertLabProof(mesh);
        } finally {
            await mesh.clusters.kubectl(first, ["delete", "pod", "helloworld-extra", "-n", "sample", "--wait=false"]);
        }
        assert.ok((await within(60_000, async () => (await localCount()) === 1)) !== undefined, "cluster1's extra pod is gone");
        await assertLabProof(mesh);
    },
);

test(
    "endpoint discovery, N=3: right after, `pulumi preview` and `pulumi refresh` find no change; the state holds no CA key, admin key, reader token or remote kubeconfig, as is or in base64",
    { skip },
    async () => {
        const mesh = labCase();
        await expectNoChanges(mesh, "preview");
        await expectNoChanges(mesh, "refresh");
        await expectNoChanges(mesh, "preview");

        const { text, resources } = await mesh.stack.exported();
        assert.ok(resources.length > 70, `${resources.length} resources in state`);
        assert.doesNotMatch(text, /PRIVATE KEY/, "no private key in plain text");
        assert.doesNotMatch(text, /client-key-data|"token":|kind: Config/, "no kubeconfig or token in plain text");
        for (const c of mesh.clusters.clusters) {
            for (const consumer of mesh.clusters.clusters.filter((x) => x !== c)) {
                const token = secretData(
                    await getJson(mesh.clusters, c, ["secret", `istio-reader-token-cluster${consumer.index}`, "-n", "istio-system"]),
                ).token;
                assert.ok(token.length > 100, "the token controller filled the reader token");
                assert.ok(
                    !text.includes(token) && !text.includes(Buffer.from(token).toString("base64")),
                    "the reader token is not in the state",
                );
            }
        }
        // Every secret as it could land in the state: as is, base64-encoded, or one line of a PEM body.
        const forms = (value: string) => [
            value,
            Buffer.from(value).toString("base64"),
            ...value.split("\n").filter((line) => line.length >= 60 && !line.startsWith("-----")),
        ];
        const assertAbsent = (value: string, what: string) => {
            assert.ok(value.length > 100, `${what}: read back`);
            for (const form of forms(value)) assert.ok(!text.includes(form), `${what} is not in the state`);
        };
        const admin = parse(readFileSync(mesh.clusters.kubeconfig, "utf8"));
        // Every credential of the kubeconfig the stack was given: each cluster's admin key, and whatever else it holds.
        const keys = admin.users.filter((u: any) => u.user["client-key-data"]);
        assert.ok(keys.length >= mesh.clusters.clusters.length, `${keys.length} admin keys in the kubeconfig`);
        for (const user of admin.users) {
            const key = user.user["client-key-data"];
            if (key) {
                assertAbsent(key, `admin key ${user.name}`);
                assertAbsent(Buffer.from(key, "base64").toString("utf8"), `admin key ${user.name}, decoded`);
            }
            if (user.user.token) assertAbsent(user.user.token, `token of ${user.name}`);
        }
        for (const c of mesh.clusters.clusters) {
            const cacerts = secretData(await getJson(mesh.clusters, c, ["secret", "cacerts", "-n", "istio-system"]));
            assertAbsent(cacerts["ca-key.pem"], `${c.name}'s intermediate CA key`);
            // The scan finds what is there: the intermediate certificate is public and in the state.
            assert.throws(() => assertAbsent(cacerts["ca-cert.pem"], `${c.name}'s intermediate certificate`), /is not in the state/);
            const remotes = await getJson(mesh.clusters, c, ["secrets", "-n", "istio-system", "-l", "istio/multiCluster=true"]);
            assert.equal(remotes.items.length, mesh.clusters.clusters.length - 1);
            for (const remote of remotes.items) {
                for (const kubeconfig of Object.values(secretData(remote))) assertAbsent(kubeconfig, `${c.name}'s ${remote.metadata.name}`);
            }
        }
    },
);

/** The endpoints cluster `c`'s istiod sends its sleep proxy for helloworld, as "address:port". */
async function helloworldSeenFrom(mesh: MeshCase, c: KwokCluster): Promise<string[]> {
    const { pod, istiod } = await proxyOf(mesh, c, "sample", "app=sleep");
    return (await endpointsFor(mesh, istiod, pod, HELLOWORLD("sample"))).map((e) => `${e.address}:${e.port}`);
}

/** Polls until `done` holds or `limitMs` passes; returns the ms it took, or undefined. */
async function within(limitMs: number, done: () => Promise<boolean>): Promise<number | undefined> {
    const started = Date.now();
    while (Date.now() - started < limitMs) {
        if (await done()) return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return undefined;
}

test(
    "endpoint discovery: cut off: a peer's remote secret removed, its endpoints leave that istiod within seconds; a revoked reader token is measured; `pulumi up` makes both again, and a restarted istiod reads the peer with the token made again",
    { skip, timeout: 900_000 },
    async () => {
        const mesh = labCase();
        const [first, second] = mesh.clusters.clusters;
        const gateway = `${second.gatewayAddress}:15443`;
        assert.ok((await helloworldSeenFrom(mesh, first)).includes(gateway));

        await mesh.clusters.kubectl(first, ["delete", "secret", "istio-remote-secret-cluster2", "-n", "istio-system"]);
        const gone = await within(60_000, async () => !(await helloworldSeenFrom(mesh, first)).includes(gateway));
        assert.ok(gone !== undefined, "cluster2's endpoints leave cluster1's istiod when its remote secret goes");
        console.log(`real-clusters: remote secret removed -> cluster2's endpoints gone from cluster1's istiod after ${gone} ms`);
        // The preflight finds it missing; the update makes it again (no refresh needed).
        assert.match(await up(mesh), /endpoint discovery: cluster1: Secret istio-system\/istio-remote-secret-cluster2 is missing/);
        await assertLabProof(mesh);
        await expectNoChanges(mesh, "preview");

        // The reader token cluster2 issued to cluster1, revoked: the API server refuses it at once,
        // but istiod keeps what it already discovered until its watches are made again.
        const before = await getJson(mesh.clusters, second, ["secret", "istio-reader-token-cluster1", "-n", "istio-system"]);
        await mesh.clusters.kubectl(second, ["delete", "secret", "istio-reader-token-cluster1", "-n", "istio-system"]);
        const revoked = secretData(await getJson(mesh.clusters, first, ["secret", "istio-remote-secret-cluster2", "-n", "istio-system"]));
        const { file } = remoteKubeconfig(mesh.dir, "revoked", revoked.cluster2);
        const refusedAfter = await within(30_000, async () => {
            const read = await mesh.clusters.kubectlResult(["--kubeconfig", file, "get", "pods", "-n", "sample"]);
            return read.status !== 0 && /Unauthorized|must be logged in/.test(read.stderr);
        });
        assert.ok(refusedAfter !== undefined, "the API server refuses a deleted token");
        console.log(`real-clusters: reader token deleted -> refused by the API server after ${refusedAfter} ms`);
        const dropped = await within(60_000, async () => !(await helloworldSeenFrom(mesh, first)).includes(gateway));
        console.log(
            `real-clusters: reader token revoked -> ${dropped === undefined ? "cluster2's endpoints still at cluster1's istiod after 60 s (it keeps what its open watches saw)" : `endpoints gone after ${dropped} ms`}`,
        );
        assert.match(await up(mesh), /endpoint discovery: cluster2: Secret istio-system\/istio-reader-token-cluster1 is missing/);
        const after = await getJson(mesh.clusters, second, ["secret", "istio-reader-token-cluster1", "-n", "istio-system"]);
        assert.notEqual(after.metadata.uid, before.metadata.uid, "a new token");
        // The remote secret carries the new token, and the API server takes it as the reader. (A
        // Secret-based token names its Secret and ServiceAccount, not the Secret's uid: made again
        // under the same name, it is the same token, accepted again.)
        const renewed = secretData(await getJson(mesh.clusters, first, ["secret", "istio-remote-secret-cluster2", "-n", "istio-system"]));
        const { file: renewedFile } = remoteKubeconfig(mesh.dir, "renewed", renewed.cluster2);
        const who = await mesh.clusters.kubectlResult([
            "--kubeconfig",
            renewedFile,
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ]);
        assert.equal(who.stdout, READER, who.stderr);
        // cluster1's istiod, started again as its Deployment would (a new pod), reads cluster2 with the new token.
        const [istiod] = mesh.istiods!.of(first);
        await mesh.clusters.kubectl(first, ["delete", "pod", istiod.pod, "-n", "istio-system", "--wait=false"]);
        const restarted = await within(120_000, async () => mesh.istiods!.of(first).some((i) => i.pod !== istiod.pod));
        assert.ok(restarted !== undefined, "a new istiod pod, and its pilot-discovery, replace the deleted one");
        await assertLabProof(mesh);
        await expectNoChanges(mesh, "preview");
    },
);

test(
    "endpoint discovery: the reader account may do exactly what the README's security section says, measured with `kubectl auth can-i --list` under its token",
    { skip },
    async () => {
        const mesh = labCase();
        const [first] = mesh.clusters.clusters;
        const data = secretData(await getJson(mesh.clusters, first, ["secret", "istio-remote-secret-cluster2", "-n", "istio-system"]));
        const { file } = remoteKubeconfig(mesh.dir, "reader", data.cluster2);
        const list = await mesh.clusters.kubectlResult(["--kubeconfig", file, "auth", "can-i", "--list", "-n", "sample"]);
        assert.equal(list.status, 0, list.stderr);
        const rules = list.stdout
            .trim()
            .split("\n")
            .slice(1)
            .map((line) => line.trim().split(/\s{2,}/))
            .filter((cols) => cols[0] && !cols[0].startsWith("[") && cols[0] !== "")
            .map((cols) => `${cols[0]} ${cols[cols.length - 1]}`)
            .sort();
        assert.deepEqual(rules, READER_RULES, list.stdout);
    },
);

/** The clusters endpoint discovery's command is told of, before and after a previewed step. */
function discoveryMembers(step: PreviewStep): { before: string[]; after: string[] } {
    const names = (state: any) => JSON.parse(state?.inputs?.environment?.CLUSTERS ?? "[]").map((m: any) => m.clusterName);
    return { before: names(step.oldState), after: names(step.newState) };
}

/** Each remote secret and reader token of a cluster, with its resourceVersion: what changed shows as a new one. */
async function discoveryObjects(mesh: MeshCase, cluster: KwokCluster): Promise<string[]> {
    const secrets = await getJson(mesh.clusters, cluster, [
        "secrets",
        "-n",
        "istio-system",
        "-l",
        "app.kubernetes.io/managed-by=istio-multicluster",
    ]);
    return secrets.items.map((s: any) => `${s.metadata.name}@${s.metadata.resourceVersion}`).sort();
}

test(
    "endpoint discovery: 3 -> 4 clusters: the preview names the new cluster and its discovery, the update applies them; 4 -> 3 removes exactly those and touches no other pair",
    { skip, timeout: 1_200_000 },
    async () => {
        const mesh = labCase();
        const three = mesh.clusters.clusters.slice();
        const [fourth] = await mesh.clusters.add(4, 4);
        const baseline4 = await everything(mesh.clusters, fourth);
        mesh.configure(mesh.clusters.clusters);
        const grow = await plannedSteps(mesh);
        const creates = grow.filter((s) => s.op === "create").map((s) => resourceName(s.urn));
        assert.ok(
            creates.includes("cluster4-istio-istiod-1-31-1") && creates.includes("mesh-pki-cluster4-cert"),
            "the new cluster's control plane and CA",
        );
        // Everything created belongs to the new cluster, but the lab's layout moving v2 to the last cluster.
        const forFourth = (name: string) => name === "cluster4" || name.startsWith("cluster4-") || name.startsWith("mesh-pki-cluster4-");
        assert.deepEqual(
            creates.filter((n) => !forFourth(n)),
            ["cluster3-samples-helloworld-v1"],
            "nothing else is created",
        );
        const others = (steps: PreviewStep[]) => steps.filter((s) => s.op !== "create").map((s) => `${s.op} ${resourceName(s.urn)}`);
        assert.deepEqual(others(grow).sort(), ["delete cluster3-samples-helloworld-v2", "update endpoint-discovery-secrets"]);
        const discovery = grow.find((s) => resourceName(s.urn) === "endpoint-discovery-secrets")!;
        assert.deepEqual(discoveryMembers(discovery), {
            before: ["cluster1", "cluster2", "cluster3"],
            after: ["cluster1", "cluster2", "cluster3", "cluster4"],
        });
        await up(mesh);
        for (const c of mesh.clusters.clusters) {
            const secrets = await getJson(mesh.clusters, c, ["secrets", "-n", "istio-system", "-l", "istio/multiCluster=true"]);
            assert.equal(secrets.items.length, 3, `${c.name} reads the three others`);
        }
        await assertLabProof(mesh);
        await expectNoChanges(mesh, "preview");

        // 4 -> 3: only cluster4's objects go; every other pair's token and remote secret stay untouched.
        const kept = new Map<KwokCluster, string[]>();
        for (const c of three)
            kept.set(
                c,
                (await discoveryObjects(mesh, c)).filter((o) => !o.includes("cluster4")),
            );
        mesh.configure(three);
        const shrink = await plannedSteps(mesh);
        const deletes = shrink.filter((s) => s.op === "delete").map((s) => resourceName(s.urn));
        assert.deepEqual(deletes.sort(), [...creates].sort(), "4 -> 3 deletes exactly what 3 -> 4 made");
        assert.deepEqual(
            shrink
                .filter((s) => s.op !== "delete")
                .map((s) => `${s.op} ${resourceName(s.urn)}`)
                .sort(),
            ["create cluster3-samples-helloworld-v2", "update endpoint-discovery-secrets"],
        );
        await up(mesh);
        for (const c of three) assert.deepEqual(await discoveryObjects(mesh, c), kept.get(c), `${c.name}: only cluster4's objects went`);
        await assertLabProof(mesh, { members: three });
        await expectNoChanges(mesh, "preview");
        // Out of the mesh, cluster 4 keeps only what destroy leaves by design, which the README's command removes.
        const left4 = added(baseline4, await everything(mesh.clusters, fourth));
        assert.deepEqual(
            left4.filter((o) => !LEFT_BY_DESIGN.test(o)),
            [],
            "cluster 4 keeps only what the README says",
        );
        await shell(mesh, fourth, readmeCommands("remove Istio's CRDs from a cluster"));
        assert.deepEqual(added(baseline4, await everything(mesh.clusters, fourth)), [], "cluster 4 is as before");
    },
);

test(
    "endpoint discovery: `pulumi destroy --run-program` empties the stack and every cluster but Istio's CRDs, which the README's command removes",
    { skip, timeout: 1_200_000 },
    async () => {
        const mesh = labCase();
        try {
            await destroy(mesh, ["--run-program"]); // the program runs on the way out too: it reads nothing live
            assert.deepEqual((await mesh.stack.exported()).resources, []);
            for (const c of mesh.clusters.clusters.filter((x) => x.index <= 3)) {
                const left = added(labBaseline.get(c.index)!, await everything(mesh.clusters, c));
                assert.ok(left.length > 10 && left.every((o) => LEFT_BY_DESIGN.test(o)), left.join("\n"));
                await shell(mesh, c, readmeCommands("remove Istio's CRDs from a cluster"));
                assert.deepEqual(added(labBaseline.get(c.index)!, await everything(mesh.clusters, c)), [], `${c.name} is as before`);
            }
        } finally {
            await mesh.close();
        }
    },
);

// ---------------------------------------------------------------------------------------------
// Endpoint discovery, N = 6: the proof does not depend on three.

test(
    "endpoint discovery, N=6: up, then the lab's proof in every cluster (one gateway endpoint per other network), destroy leaves only what the README names",
    { skip, timeout: 1_200_000 },
    () =>
        withCase("six", 6, {}, async (mesh) => {
            const before = new Map<KwokCluster, string[]>();
            for (const c of mesh.clusters.clusters) before.set(c, await everything(mesh.clusters, c));
            await up(mesh);
            await assertLabProof(mesh);
            await destroy(mesh);
            assert.deepEqual((await mesh.stack.exported()).resources, []);
            for (const c of mesh.clusters.clusters) {
                const left = added(before.get(c)!, await everything(mesh.clusters, c));
                assert.deepEqual(
                    left.filter((o) => !LEFT_BY_DESIGN.test(o)),
                    [],
                    `${c.name}: left by destroy`,
                );
            }
        }),
);

// ---------------------------------------------------------------------------------------------
// Federated discovery, N = 3: no credential crosses clusters.

test(
    "federated discovery, N=3: up, a no-change preview, no remote secret or reader token anywhere, every peer's gateway known",
    { skip, timeout: 1_200_000 },
    () =>
        withCase("federated", 3, { discovery: "federated" }, async (mesh) => {
            await up(mesh);
            await expectNoChanges(mesh, "preview");
            for (const c of mesh.clusters.clusters) {
                const secrets = await getJson(mesh.clusters, c, ["secrets", "-A"]);
                const crossing = secrets.items.filter(
                    (s: any) => s.metadata.labels?.["istio/multiCluster"] === "true" || s.type === "kubernetes.io/service-account-token",
                );
                assert.deepEqual(
                    crossing.map((s: any) => s.metadata.name),
                    [],
                    `${c.name} holds no credential of another cluster`,
                );
                const entries = await getJson(mesh.clusters, c, ["workloadentries.networking.istio.io", "-n", "sample"]);
                const peers = mesh.clusters.clusters.filter((p) => p !== c);
                assert.deepEqual(
                    entries.items.map((e: any) => [e.metadata.name, e.spec.network, e.spec.address ?? ""]).sort(),
                    peers.map((p) => [`helloworld-cluster${p.index}`, `network${p.index}`, ""]),
                );
                const meshConfig = await getJson(mesh.clusters, c, ["configmap", "istio-1-31-1", "-n", "istio-system"]);
                const networks = parse(meshConfig.data.meshNetworks).networks;
                assert.deepEqual(
                    networks,
                    Object.fromEntries(peers.map((p) => [`network${p.index}`, { gateways: [{ address: p.gatewayAddress, port: 15443 }] }])),
                );
            }
            // The lab's proof holds with no credential crossing clusters: the endpoints come from the WorkloadEntries.
            await assertLabProof(mesh);
            await destroy(mesh);
        }),
);
