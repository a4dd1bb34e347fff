// Image preloading for kind clusters: pull each image once on the host, save them all into one
// single-platform archive, load that one archive into every cluster (run by @pulumi/command as
// `node --import tsx scripts/images.ts <pull|save|load>`).
//
//   pull   IMAGE: pulled for the engine's platform unless the host has it
//   save   IMAGES (one per line) -> one archive in the cache, written whole or not at all; prints its path
//   load   ARCHIVE into kind cluster KIND_CLUSTER_NAME; an archive gone from the cache is saved again from IMAGES
//
// IMAGE_CACHE: the archive folder (default ~/.cache/istio-multicluster/images).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { ToolError, log, main, mustRun, required, run } from "./host/tool";

const say = (message: string) => log("images", message);

interface Engine {
    version: string;
    apiVersion: string;
    platform: string;
    containerdStore: boolean;
}

function engine(): Engine {
    const [version, apiVersion, os, arch] = mustRun("docker", [
        "version",
        "--format",
        "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}} {{.Server.Arch}}",
    ])
        .trim()
        .split(" ");
    const driverStatus = mustRun("docker", ["info", "--format", "{{json .DriverStatus}}"]);
    return { version, apiVersion, platform: `${os}/${arch}`, containerdStore: driverStatus.includes("io.containerd.snapshotter") };
}

const apiAtLeast = (api: string, major: number, minor: number) => {
    const [a, b] = api.split(".").map(Number);
    return a > major || (a === major && b >= minor);
};

function pull(image: string, platform: string): void {
    if (run("docker", ["image", "inspect", image]).status === 0) return;
    say(`pulling ${image} (${platform})`);
    const result = run("docker", ["pull", "--platform", platform, image]);
    if (result.status !== 0) {
        throw new Error(
            `could not pull ${image}: ${result.stderr.trim().split("\n").pop()}\n` +
                "If Docker Hub rate-limits anonymous pulls, run 'docker login', or point istioHub/sampleRegistry at a mirror.",
        );
    }
}

/**
 * Arguments of `docker image save` that keep one platform. kind load fails on multi-platform
 * archives (kind issue 3795): `--platform` needs API 1.48 (Engine 28); the classic image store
 * keeps one platform per image anyway; the containerd store before 1.48 cannot do it.
 */
export function onePlatformSaveArgs(e: Engine): string[] {
    if (apiAtLeast(e.apiVersion, 1, 48)) return ["--platform", e.platform];
    if (!e.containerdStore) return [];
    throw new Error(
        `Docker Engine ${e.version} (API ${e.apiVersion}) uses the containerd image store, which saves every platform of an ` +
            "image, and kind load fails on such archives (kind issue 3795); saving one platform needs API 1.48 (Docker Engine 28): " +
            "upgrade Docker, or set istio-multicluster:preloadImages false.",
    );
}

function cache(): string {
    return process.env.IMAGE_CACHE || path.join(process.env.HOME || homedir(), ".cache", "istio-multicluster", "images");
}

/** Saves `images` into one archive named by its content; an existing one is reused. */
function save(images: string[]): string {
    const e = engine();
    const saveArgs = onePlatformSaveArgs(e);
    const key = createHash("sha256")
        .update(JSON.stringify([e.platform, ...images]))
        .digest("hex")
        .slice(0, 16);
    const archive = path.join(cache(), `images-${key}.tar`);
    if (statSync(archive, { throwIfNoEntry: false })?.size) return archive;
    mkdirSync(cache(), { recursive: true });
    const partial = `${archive}.partial-${process.pid}`;
    try {
        for (const image of images) pull(image, e.platform);
        mustRun("docker", ["image", "save", ...saveArgs, "-o", partial, ...images]);
        renameSync(partial, archive); // whole or not at all
    } finally {
        rmSync(partial, { force: true });
    }
    say(`saved ${images.length} images for ${e.platform} into ${archive}`);
    return archive;
}

function load(): void {
    let archive = required("ARCHIVE");
    const name = required("KIND_CLUSTER_NAME");
    if (!existsSync(archive)) {
        // The cache was cleared since the save ran (pulumi does not run it again): make it again.
        say(`image archive ${archive} is missing: saving it again`);
        archive = save(required("IMAGES").split("\n"));
    }
    try {
        mustRun("kind", ["load", "image-archive", archive, "--name", name]);
    } catch (error) {
        if (error instanceof ToolError) throw new Error(`loading images into ${name}: ${error.message}`);
        throw error;
    }
    process.stdout.write(`loaded ${path.basename(archive)} into ${name}\n`);
}

const commands: Record<string, () => void> = {
    pull: () => pull(required("IMAGE"), engine().platform),
    save: () => process.stdout.write(`${save(required("IMAGES").split("\n"))}\n`),
    load,
};

if (require.main === module) {
    main(() => {
        const command = commands[process.argv[2] ?? ""];
        if (!command) throw new Error("usage: images.ts pull|save|load");
        command();
    });
}
