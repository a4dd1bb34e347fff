// Image preloading: each image pulled once on the host, one archive, one load per kind cluster.
// The graph under mocks; scripts/images.ts on the real Docker engine and the real `kind load`.
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { meshImages } from "../components/images";
import { DockerHost, PREFIX, docker, dockerHost, dockerTierSkip, sh } from "./docker-host";
import { Graph, configFrom, recordMesh } from "./harness";
import { onePlatformSaveArgs } from "../scripts/images";

const SCRIPT = "node --import tsx scripts/images.ts";
const commands = (g: Graph, verb: string) => g.ofType("command:local:Command").filter((c) => c.inputs.create === `${SCRIPT} ${verb}`);

test("the images of the pinned versions: Istio control plane and proxy, MetalLB, samples", () => {
    assert.deepEqual(meshImages(configFrom({ clusterCount: "3" })), [
        "docker.io/istio/pilot:1.31.1",
        "docker.io/istio/proxyv2:1.31.1",
        "quay.io/metallb/controller:v0.16.1",
        "quay.io/metallb/speaker:v0.16.1",
        "docker.io/istio/examples-helloworld-v1:1.0",
        "docker.io/istio/examples-helloworld-v2:1.0",
        "docker.io/curlimages/curl:8.16.0",
    ]);
    assert.deepEqual(meshImages(configFrom({ istioHub: "mirror.local/istio", sampleApps: "false" })).slice(0, 2), [
        "mirror.local/istio/pilot:1.31.1",
        "mirror.local/istio/proxyv2:1.31.1",
    ]);
});

for (const count of [1, 3, 6]) {
    test(`N = ${count}: one pull per image, one archive, one load per cluster that waits for its own cluster only`, async () => {
        const { graph } = await recordMesh({ clusterCount: String(count) });
        const pulls = commands(graph, "pull");
        const [save, ...moreSaves] = commands(graph, "save");
        const loads = commands(graph, "load");
        assert.equal(pulls.length, 7);
        assert.equal(moreSaves.length, 0);
        assert.equal(new Set(pulls.map((p) => p.inputs.environment.IMAGE)).size, 7);
        assert.equal(save.inputs.environment.IMAGES, meshImages(configFrom({ clusterCount: String(count) })).join("\n"));
        for (const pull of pulls) {
            assert.deepEqual(pull.dependencies, [], "pulls start at once, beside cluster creation");
            assert.ok(graph.waitsFor(save, pull));
        }
        assert.equal(loads.length, count);
        for (const load of loads) {
            const cluster = graph.named(`${load.inputs.environment.KIND_CLUSTER_NAME}-cluster`);
            assert.ok(graph.waitsFor(load, cluster) && graph.waitsFor(load, save));
            assert.equal(load.deletedWith, cluster.urn);
            for (let k = 1; k <= count; k++) {
                if (`istio-${k}` !== load.inputs.environment.KIND_CLUSTER_NAME)
                    assert.ok(!graph.waitsFor(load, graph.named(`istio-${k}-cluster`)));
            }
            const index = load.inputs.environment.KIND_CLUSTER_NAME.split("-")[1];
            assert.ok(graph.waitsFor(graph.named(`cluster${index}-istio-istiod-1-31-1`), load), "Helm releases start from loaded images");
        }
    });
}

test("preloadImages false: nothing pulled, saved or loaded", async () => {
    const { graph } = await recordMesh({ clusterCount: "2", preloadImages: "false" });
    assert.equal(graph.ofType("command:local:Command").filter((c) => String(c.inputs.create).startsWith(SCRIPT)).length, 0);
});

const ENGINE = { version: "27.5.1", apiVersion: "1.47", platform: "linux/arm64", containerdStore: false };
test("one platform whatever the engine: --platform from API 1.48; the classic store as is; containerd before 1.48 stops with the fix", () => {
    assert.deepEqual(onePlatformSaveArgs({ ...ENGINE, apiVersion: "1.48" }), ["--platform", "linux/arm64"]);
    assert.deepEqual(onePlatformSaveArgs({ ...ENGINE, apiVersion: "1.51", containerdStore: true }), ["--platform", "linux/arm64"]);
    assert.deepEqual(onePlatformSaveArgs(ENGINE), []);
    assert.throws(
        () => onePlatformSaveArgs({ ...ENGINE, containerdStore: true }),
        /^Error: Docker Engine 27\.5\.1 \(API 1\.47\) uses the containerd image store, .*kind issue 3795.*upgrade Docker, or set istio-multicluster:preloadImages false\.$/,
    );
});

// ---- on the real engine ----
const skip = dockerTierSkip();
let host: DockerHost;
const images = [`${PREFIX}-img-a:1`, `${PREFIX}-img-b:1`];
before(() => {
    if (skip) return;
    host = dockerHost();
    for (const image of images) docker("tag", host.image, image);
});
after(() => {
    if (!host) return;
    sh("docker", ["image", "rm", ...images]);
    host.cleanup();
});
const cacheDir = () => path.join(host.dir, "images");
const images_ = (verb: string, env: Record<string, string>) => host.command(`${SCRIPT} ${verb}`, { IMAGE_CACHE: cacheDir(), ...env });

test("pull: an image the host has is not pulled; one it cannot get names the image, docker's reason and what to do", { skip }, () => {
    assert.equal(images_("pull", { IMAGE: images[0] }).status, 0, "no pull: this machine has no registry to pull from");
    const missing = images_("pull", { IMAGE: `${PREFIX}-missing:1` });
    assert.equal(missing.status, 1);
    assert.match(
        missing.stderr,
        new RegExp(`^could not pull ${PREFIX}-missing:1: .+\\nIf Docker Hub rate-limits anonymous pulls, run 'docker login'`, "m"),
    );
});

test("save: one archive of every image, written whole, reused; a failed save leaves nothing in the cache", { skip }, () => {
    const first = images_("save", { IMAGES: images.join("\n") });
    assert.equal(first.status, 0, first.stderr);
    const archive = first.stdout.trim();
    assert.equal(path.dirname(archive), cacheDir());
    const manifest = JSON.parse(sh("tar", ["-xOf", archive, "manifest.json"]).stdout);
    assert.deepEqual(manifest.flatMap((m: { RepoTags: string[] }) => m.RepoTags).sort(), images);
    const saved = statSync(archive).mtimeMs;
    assert.equal(images_("save", { IMAGES: images.join("\n") }).stdout.trim(), archive);
    assert.equal(statSync(archive).mtimeMs, saved, "reused");

    const failed = images_("save", { IMAGES: [images[0], `${PREFIX}-missing:1`].join("\n") });
    assert.equal(failed.status, 1);
    assert.deepEqual(readdirSync(cacheDir()), [path.basename(archive)], "no partial archive");
});

test("load: one `kind load image-archive` per cluster puts the archive into its node; a vanished archive is saved again", { skip }, () => {
    const name = `${PREFIX}-load`;
    docker(
        "run",
        "-d",
        "--name",
        `${name}-control-plane`,
        "--label",
        `io.x-k8s.kind.cluster=${name}`,
        "--label",
        "io.x-k8s.kind.role=control-plane",
        "--network",
        host.network,
        host.image,
    );
    const archive = images_("save", { IMAGES: images.join("\n") }).stdout.trim();
    const loaded = images_("load", { ARCHIVE: archive, IMAGES: images.join("\n"), KIND_CLUSTER_NAME: name });
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout, `loaded ${path.basename(archive)} into ${name}\n`);
    const imported = docker("exec", `${name}-control-plane`, "cat", "/imported/0.args");
    assert.equal(imported, "ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -");
    assert.equal(docker("exec", `${name}-control-plane`, "ls", "/imported").split("\n").length, 2, "one archive, one import");

    sh("rm", ["-f", archive]);
    const again = images_("load", { ARCHIVE: archive, IMAGES: images.join("\n"), KIND_CLUSTER_NAME: name });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /image archive .* is missing: saving it again/);
    assert.ok(existsSync(archive));

    const nowhere = images_("load", { ARCHIVE: archive, IMAGES: images.join("\n"), KIND_CLUSTER_NAME: `${PREFIX}-nowhere` });
    assert.equal(nowhere.status, 1);
    assert.match(
        nowhere.stderr,
        new RegExp(
            `^loading images into ${PREFIX}-nowhere: \`kind load image-archive .*\` failed \\(exit 1\\): ERROR: no nodes found for cluster`,
            "m",
        ),
    );
});
