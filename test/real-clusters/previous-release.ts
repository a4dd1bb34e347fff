// The program as the release before per-cluster endpoint discovery left it (resources per pair of
// clusters): the tier makes a stack with it, then moves that stack with the program of this tree.
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "../real-tools";

/** The last commit whose program keeps endpoint discovery as resources per pair. */
export const PREVIOUS_RELEASE = "0bc9003e26ad0470d6be05bcae7b85a884f3e170";

/** Why PREVIOUS_RELEASE cannot be checked out here (a shallow clone), or undefined; in CI a failure, not a skip. */
export function previousReleaseUnavailable(): string | undefined {
    if (spawnSync("git", ["cat-file", "-e", `${PREVIOUS_RELEASE}^{commit}`], { cwd: ROOT }).status === 0) return undefined;
    const why = `needs commit ${PREVIOUS_RELEASE.slice(0, 7)} of this repository's history (a shallow clone lacks it: git fetch --unshallow)`;
    if (process.env.CI === "true") throw new Error(`CI runs the tests of a stack of the release before: ${why}`);
    return why;
}

/** The program of PREVIOUS_RELEASE in `dir` (this checkout's node_modules linked). */
export function checkoutPrevious(dir: string): void {
    const archive = spawnSync("git", ["archive", "--format=tar", PREVIOUS_RELEASE], { cwd: ROOT, maxBuffer: 512 * 1024 * 1024 });
    if (archive.status !== 0) {
        throw new Error(
            `git archive ${PREVIOUS_RELEASE}: ${archive.stderr.toString().trim()} (the tier needs the repository's history: git fetch --unshallow)`,
        );
    }
    mkdirSync(dir, { recursive: true });
    const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`extracting ${PREVIOUS_RELEASE}: ${untar.stderr.toString().trim()}`);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
}
