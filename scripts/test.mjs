// npm test: typecheck, then every test file under node --test. Temporary files of the run (the
// tests', tsx's and ts-node's caches, the Pulumi CLI's pipes) all go below one folder that is
// removed at the end, so a run leaves nothing in the system's temporary folder.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const root = path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "..");
const temp = mkdtempSync(path.join(tmpdir(), "istio-mc-npm-test-"));
const env = { ...process.env, TMPDIR: temp };
let status = 1;
try {
    const tsc = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", ".", "--noCheck", "false"], { cwd: root, env, stdio: "inherit" });
    if (tsc.status === 0) {
        const files = readdirSync(path.join(root, "test")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => path.join("test", f));
        const args = ["--test", "--test-concurrency=2", "--test-reporter=./test/reporter.mjs", "--import", "tsx", ...files];
        status = spawnSync(process.execPath, args, { cwd: root, env, stdio: "inherit" }).status ?? 1;
    } else {
        console.error("npm test: the typecheck failed, no test was run");
    }
} finally {
    rmSync(temp, { recursive: true, force: true });
}
process.exit(status);
