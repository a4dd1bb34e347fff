// The real-clusters tier, a stack moving to per-cluster endpoint discovery: made by the release
// before (resources per pair of clusters, test/real-clusters/previous-release.ts), updated by the
// program of this tree, on real API servers with a real istiod each, every istiod asked about
// helloworld's endpoints every second while both updates run.
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { getJson, secretData } from "./real-clusters/inspect";
import { KwokCluster } from "./real-clusters/kwok";
import { MeshCase } from "./real-clusters/mesh-case";
import { PREVIOUS_RELEASE, checkoutPrevious, previousReleaseUnavailable } from "./real-clusters/previous-release";
import { assertLabProof, watchLabProof } from "./real-clusters/proof";
import { tail } from "./real-clusters/stack";
import { expectNoChanges, skip, up, useTier, withCase } from "./real-clusters/tier";

useTier();

/** Each remote secret's kubeconfig and each reader token's uid in a cluster: what istiod reads. */
async function discoveryObjects(mesh: MeshCase, cluster: KwokCluster): Promise<Record<string, string>> {
    const remote = await getJson(mesh.clusters, cluster, ["secrets", "-n", "istio-system", "-l", "istio/multiCluster=true"]);
    const tokens = await getJson(mesh.clusters, cluster, [
        "secrets",
        "-n",
        "istio-system",
        "--field-selector",
        "type=kubernetes.io/service-account-token",
    ]);
    return Object.fromEntries([
        ...remote.items.map((s: any) => [s.metadata.name, JSON.stringify(secretData(s))]),
        ...tokens.items
            .filter((s: any) => s.metadata.name.startsWith("istio-reader-token-"))
            .map((s: any) => [s.metadata.name, s.metadata.uid]),
    ]);
}

interface Step {
    op: string;
    urn: string;
    oldState?: { custom: boolean; retainOnDelete?: boolean };
}

const pairParts = (urn: string) => /-reads-cluster\d+(-token|-token-data|-remote-secret)?$/.test(urn);

test(
    `a stack of the release before (${PREVIOUS_RELEASE.slice(0, 7)}, discovery per pair of clusters) moves in two updates; every istiod sees every cluster before, during and after; nothing in the clusters changes`,
    { skip: skip ?? previousReleaseUnavailable(), timeout: 1_800_000 },
    () =>
        withCase("move", 3, {}, async (mesh) => {
            const previous = path.join(mesh.dir, "previous-release");
            checkoutPrevious(previous);
            const old = await mesh.stack.pulumi(["up", "--yes"], {}, 900_000, { project: previous });
            assert.equal(old.status, 0, `pulumi up of the release before failed:\n${tail(old.stdout + old.stderr)}`);
            const pairs = (await mesh.stack.exported()).resources.filter((r: any) => r.type === "istio-multicluster:index:RemoteAccess");
            assert.equal(pairs.length, 6, "the release before keeps a RemoteAccess per ordered pair");
            await assertLabProof(mesh);
            const objects = new Map<KwokCluster, Record<string, string>>();
            for (const c of mesh.clusters.clusters) objects.set(c, await discoveryObjects(mesh, c));

            // The real preview names what moves: the new command comes, every pair stays as it is.
            const preview = await mesh.stack.pulumi(["preview", "--json"]);
            assert.equal(preview.status, 0, tail(preview.stdout + preview.stderr));
            const moves = (JSON.parse(preview.stdout).steps as Step[]).filter((s) => s.op !== "same");
            assert.deepEqual(moves.map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort(), [
                "create endpoint-discovery",
                "create endpoint-discovery-secrets",
            ]);

            const watch = await watchLabProof(mesh);
            let seen: { rounds: number; misses: string[] };
            try {
                const adopt = await up(mesh);
                assert.match(adopt, /This stack was made by an earlier release, which kept endpoint discovery as resources per pair/);
                assert.equal((await mesh.stack.outputs()).legacyDiscoveryPairs, 6, "npm run up sees that a second update is due");
                // The next preview forgets the pairs: each a delete of a resource that is retained (kept in its cluster).
                const forget = await mesh.stack.pulumi(["preview", "--json"]);
                assert.equal(forget.status, 0, tail(forget.stdout + forget.stderr));
                const steps = (JSON.parse(forget.stdout).steps as Step[]).filter((s) => s.op !== "same");
                assert.equal(steps.length, 4 * 6, steps.map((s) => `${s.op} ${s.urn}`).join("\n"));
                for (const s of steps) {
                    assert.ok(s.op === "delete" && pairParts(s.urn), `${s.op} ${s.urn}`);
                    if (s.oldState?.custom) assert.equal(s.oldState.retainOnDelete, true, `${s.urn} is retained`);
                }
                await up(mesh);
            } finally {
                seen = await watch.stop();
            }
            console.log(`real-clusters: the move, ${seen.rounds} rounds of asking every istiod, ${seen.misses.length} answers off`);
            assert.ok(seen.rounds >= 5, `${seen.rounds} rounds`);
            assert.deepEqual(seen.misses, [], "every istiod told its sleep proxy every cluster throughout");

            assert.equal((await mesh.stack.outputs()).legacyDiscoveryPairs, undefined);
            assert.deepEqual(
                (await mesh.stack.exported()).resources.filter((r: any) => pairParts(r.urn)).map((r: any) => r.urn),
                [],
                "no per-pair resource left in the state",
            );
            for (const c of mesh.clusters.clusters) {
                assert.deepEqual(await discoveryObjects(mesh, c), objects.get(c), `${c.name}: the same kubeconfigs and tokens`);
            }
            await expectNoChanges(mesh, "preview");
            await expectNoChanges(mesh, "refresh");
            await assertLabProof(mesh);
        }),
);
