// The real-clusters tier, lifecycles: the canary upgrade's steps with a real istiod per revision,
// what an upgrade tool must never do, contexts that lead nowhere, and clusters that go away. See
// test/real-clusters.test.ts for the lab and test/real-clusters/ for how the clusters are made.
import assert from "node:assert/strict";
import { test } from "node:test";
import { added, everything, getJson } from "./real-clusters/inspect";
import { KwokCluster } from "./real-clusters/kwok";
import { MeshCase } from "./real-clusters/mesh-case";
import { assertLabProof } from "./real-clusters/proof";
import { LEFT_BY_DESIGN, destroy, expectNoChanges, readmeCommands, shell, skip, up, useTier, withCase } from "./real-clusters/tier";
import { proxyOf } from "./real-clusters/xds";

useTier();

// ---------------------------------------------------------------------------------------------
// The canary upgrade's three steps, and what an upgrade tool must never do.

/** Helm's own view of a cluster's releases: name -> "chart-version status". */
async function releasesOf(mesh: MeshCase, cluster: KwokCluster): Promise<Record<string, string>> {
    const list = JSON.parse(await shell(mesh, cluster, 'helm list -n istio-system --kube-context "$CONTEXT" -o json'));
    return Object.fromEntries(list.map((r: any) => [r.name, `${r.chart} ${r.status}`]));
}

async function tags(mesh: MeshCase, cluster: KwokCluster): Promise<Record<string, string>> {
    const hooks = await getJson(mesh.clusters, cluster, ["mutatingwebhookconfigurations", "-l", "istio.io/tag"]);
    return Object.fromEntries(
        hooks.items.map((h: any) => [
            h.metadata.labels["istio.io/tag"],
            [...new Set(h.webhooks.map((w: any) => w.clientConfig.service.name))].join(","),
        ]),
    );
}

async function refused(mesh: MeshCase, pattern: RegExp): Promise<void> {
    const before = JSON.stringify((await mesh.stack.exported()).resources.map((r: any) => r.urn));
    const run = await mesh.stack.pulumi(["up", "--yes"]);
    assert.notEqual(run.status, 0, "refused");
    assert.match(run.stdout + run.stderr, pattern);
    assert.equal(JSON.stringify((await mesh.stack.exported()).resources.map((r: any) => r.urn)), before, "nothing changed");
}

test(
    "canary upgrade on real API servers: each step's releases and tag webhooks in every cluster, a no-change preview after each; running revisions are never dropped; a failed update leaves the record",
    { skip, timeout: 1_800_000 },
    () =>
        withCase("canary", 2, { istioVersions: ["1.31.1", "1.31.4"], brokenVersions: ["1.31.9"] }, async (mesh) => {
            const each = async (check: (c: KwokCluster) => Promise<void>) => {
                for (const c of mesh.clusters.clusters) await check(c);
            };
            await up(mesh);
            assert.deepEqual((await mesh.stack.outputs()).istioRevisions, [{ revision: "1-31-1", version: "1.31.1", tags: ["default"] }]);

            // Step 1: the canary beside the current revision.
            mesh.stack.setConfig({ istioCanary: "1.31.4" });
            await up(mesh);
            await each(async (c) => {
                assert.deepEqual(await releasesOf(mesh, c), {
                    "istio-base": "base-1.31.4 deployed",
                    "istiod-1-31-1": "istiod-1.31.1 deployed",
                    "istiod-1-31-4": "istiod-1.31.4 deployed",
                    "istio-eastwestgateway": "gateway-1.31.1 deployed",
                });
                assert.deepEqual(await tags(mesh, c), { default: "istiod-1-31-1", canary: "istiod-1-31-4" });
                assert.deepEqual(
                    mesh
                        .istiods!.of(c)
                        .map((i) => i.revision)
                        .sort(),
                    ["1-31-1", "1-31-4"],
                    "both revisions' istiods run",
                );
            });
            await expectNoChanges(mesh, "preview");
            // Each revision's istiod answers its own proxies: sample on 1-31-1, sample-canary on 1-31-4.
            await assertLabProof(mesh, { namespace: "sample" });
            await assertLabProof(mesh, { namespace: "sample-canary" });
            await each(async (c) => assert.equal((await proxyOf(mesh, c, "sample-canary", "app=sleep")).istiod.revision, "1-31-4"));
            // Another canary now would drop 1-31-4, which pods labelled istio.io/rev=canary run on.
            mesh.stack.setConfig({ istioCanary: "1.31.5" });
            await refused(mesh, /would remove revision 1-31-4 \(1\.31\.4\) \(tag canary\), which still runs/);

            // Step 2: promote; 1-31-1 keeps running, untagged.
            mesh.stack.setConfig({ istioCanary: "1.31.4", istioVersion: "1.31.4" });
            await up(mesh);
            await each(async (c) => {
                assert.deepEqual(await releasesOf(mesh, c), {
                    "istio-base": "base-1.31.4 deployed",
                    "istiod-1-31-1": "istiod-1.31.1 deployed",
                    "istiod-1-31-4": "istiod-1.31.4 deployed",
                    "istio-eastwestgateway": "gateway-1.31.4 deployed",
                });
                assert.deepEqual(await tags(mesh, c), { default: "istiod-1-31-4" });
            });
            await expectNoChanges(mesh, "preview");
            // The samples restarted onto the new default; its istiod serves them.
            await assertLabProof(mesh, { namespace: "sample" });
            await each(async (c) => assert.equal((await proxyOf(mesh, c, "sample", "app=sleep")).istiod.revision, "1-31-4"));
            mesh.stack.setConfig({ istioCanary: "1.31.5" });
            await refused(
                mesh,
                /would remove revision 1-31-1 \(1\.31\.1\) \(kept after a promotion, for your workloads and a rollback\), which still runs/,
            );

            // Step 3: the old revision goes.
            mesh.stack.removeConfig("istioCanary");
            await up(mesh);
            await each(async (c) => {
                assert.deepEqual(await releasesOf(mesh, c), {
                    "istio-base": "base-1.31.4 deployed",
                    "istiod-1-31-4": "istiod-1.31.4 deployed",
                    "istio-eastwestgateway": "gateway-1.31.4 deployed",
                });
                assert.deepEqual(await tags(mesh, c), { default: "istiod-1-31-4" });
            });
            await expectNoChanges(mesh, "preview");
            const record = [{ revision: "1-31-4", version: "1.31.4", tags: ["default"] }];
            assert.deepEqual((await mesh.stack.outputs()).istioRevisions, record);

            // A canary whose istiod release fails: the update fails and the stack remembers only what ran.
            mesh.stack.setConfig({ istioCanary: "1.31.9" });
            const failed = await mesh.stack.pulumi(["up", "--yes"]);
            assert.notEqual(failed.status, 0);
            assert.match(failed.stdout + failed.stderr, /Not_A_Valid_Name/);
            assert.deepEqual((await mesh.stack.outputs()).istioRevisions, record, "the record of the last update that succeeded");
            // Abandoning it is allowed (it never ran) and puts the layout back.
            mesh.stack.removeConfig("istioCanary");
            await up(mesh);
            await each(async (c) =>
                assert.deepEqual(Object.keys(await releasesOf(mesh, c)).sort(), ["istio-base", "istio-eastwestgateway", "istiod-1-31-4"]),
            );
            await expectNoChanges(mesh, "refresh");

            await destroy(mesh);
        }),
);

// ---------------------------------------------------------------------------------------------
// Contexts that do not lead to a cluster, and clusters that are gone.

test("a misnamed or unreachable context: one clear error, nothing created in state or in any cluster", { skip, timeout: 600_000 }, () =>
    withCase("contexts", 2, {}, async (mesh) => {
        const [first, second] = mesh.clusters.clusters;
        const baseline = await everything(mesh.clusters, first);
        const nothingMade = async () => {
            const types = (await mesh.stack.exported()).resources.map((r: any) => r.type);
            assert.deepEqual(
                types.filter((t: string) => t !== "pulumi:pulumi:Stack"),
                [],
                "nothing in state",
            );
            assert.deepEqual(added(baseline, await everything(mesh.clusters, first)), [], "nothing in the reachable cluster");
        };
        mesh.configure([first, second], {
            clusters: [mesh.entry(first), mesh.entry(second, { context: "istio-mc-test-no-such-context" })],
        });
        let run = await mesh.stack.pulumi(["up", "--yes"]);
        assert.notEqual(run.status, 0);
        assert.match(
            run.stdout + run.stderr,
            /clusters\[1\]\.context "istio-mc-test-no-such-context" is not in your kubeconfig \(contexts there: /,
        );
        await nothingMade();

        await mesh.clusters.stop(second);
        mesh.configure([first, second]);
        run = await mesh.stack.pulumi(["up", "--yes"]);
        assert.notEqual(run.status, 0);
        assert.match(
            run.stdout + run.stderr,
            new RegExp(`clusters\\[1\\] \\(context ${second.name}\\): its API server does not answer \\(.*\\)\\. Start it`),
        );
        await nothingMade();
    }),
);

test(
    "clusters that are gone: marked gone they leave the stack on the next update or destroy, named in one warning; what stays is cleaned by the README's commands",
    { skip, timeout: 1_800_000 },
    () =>
        withCase("gone", 3, {}, async (mesh) => {
            const [first, second, third] = mesh.clusters.clusters;
            const baseline = new Map<KwokCluster, string[]>();
            for (const c of mesh.clusters.clusters) baseline.set(c, await everything(mesh.clusters, c));
            await up(mesh);
            // What the program made in a cluster, as it is when the cluster goes.
            const made = new Map<KwokCluster, string[]>();
            const goes = async (c: KwokCluster) => {
                made.set(c, added(baseline.get(c)!, await everything(mesh.clusters, c)));
                await mesh.clusters.stop(c);
            };

            // The third cluster stops answering: the next update says so and changes nothing.
            await goes(third);
            const run = await mesh.stack.pulumi(["up", "--yes"]);
            assert.notEqual(run.status, 0);
            assert.match(
                run.stdout + run.stderr,
                /clusters\[2\] \(context .*\): its API server does not answer .*set clusters\[2\]\.gone to true/,
            );

            // Marked gone: the update succeeds without it, and says what stays in it.
            mesh.configure([first, second], { clusters: [mesh.entry(first), mesh.entry(second), mesh.entry(third, { gone: true })] });
            const marked = await up(mesh);
            assert.match(marked, new RegExp(`cluster3 \\(context ${third.name}\\) is marked gone: nothing in it is changed or deleted`));
            for (const named of [
                "Helm release istio-system/istiod-1-31-1",
                "Secret istio-system/cacerts",
                "MutatingWebhookConfiguration istio-revision-tag-default",
                "Namespace sample",
            ]) {
                assert.ok(marked.includes(named), `the warning names ${named}`);
            }
            // Removed from the list, it leaves the stack; the others stop reading it.
            mesh.configure([first, second]);
            await up(mesh);
            const state = (await mesh.stack.exported()).resources;
            assert.deepEqual(
                state.filter((r: any) => /cluster3/.test(r.urn)).map((r: any) => r.urn),
                [],
                "nothing of cluster3 in state",
            );
            for (const c of [first, second]) {
                const remote = await getJson(mesh.clusters, c, ["secrets", "-n", "istio-system", "-l", "istio/multiCluster=true"]);
                assert.deepEqual(
                    remote.items.map((s: any) => s.metadata.name),
                    [`istio-remote-secret-cluster${c === first ? 2 : 1}`],
                );
                const tokens = await getJson(mesh.clusters, c, [
                    "secrets",
                    "-n",
                    "istio-system",
                    "--field-selector",
                    "type=kubernetes.io/service-account-token",
                ]);
                assert.ok(
                    !tokens.items.some((s: any) => s.metadata.name === "istio-reader-token-cluster3"),
                    "its reader tokens are revoked",
                );
            }
            await expectNoChanges(mesh, "refresh");

            // The second stops answering too: marked gone, a destroy removes the rest and forgets it.
            await goes(second);
            mesh.configure([first, second], { clusters: [mesh.entry(first), mesh.entry(second, { gone: true })] });
            await up(mesh);
            await destroy(mesh);
            assert.deepEqual((await mesh.stack.exported()).resources, []);
            assert.deepEqual(
                added(baseline.get(first)!, await everything(mesh.clusters, first)).filter((o) => !LEFT_BY_DESIGN.test(o)),
                [],
            );

            // Back again, each holds what the program had made there when it went.
            await mesh.clusters.start(second);
            await mesh.clusters.start(third);
            for (const c of [second, third]) {
                assert.deepEqual(added(baseline.get(c)!, await everything(mesh.clusters, c)), made.get(c));
                await shell(mesh, c, readmeCommands("clean a cluster the stack left"));
                assert.deepEqual(added(baseline.get(c)!, await everything(mesh.clusters, c)), [], `${c.name} is as before`);
            }
        }),
);
