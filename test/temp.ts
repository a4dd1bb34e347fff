// Temporary folders for tests: all below one folder per test process, removed when it exits.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

let root: string | undefined;

export function tempDir(prefix = "tmp"): string {
    if (!root) {
        const made = mkdtempSync(path.join(tmpdir(), `istio-mc-test-${process.pid}-`));
        root = made;
        process.on("exit", () => rmSync(made, { recursive: true, force: true }));
    }
    return mkdtempSync(path.join(root, `${prefix}-`));
}
