// The GitHub workflows: valid against the workflow schema (action-validator) and doing what the README says.
import { tempDir } from "./temp";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const validator = path.join(ROOT, "node_modules", ".bin", "action-validator");

function validate(file: string) {
    return spawnSync(validator, [file], { encoding: "utf8", cwd: ROOT });
}

test("every workflow passes the workflow linter", () => {
    const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
    assert.deepEqual(files.sort(), ["e2e.yml", "preview.yml"]);
    for (const file of files) {
        const result = validate(path.join(WORKFLOWS, file));
        assert.equal(result.status, 0, `${file}: ${result.stdout}${result.stderr}`);
    }
});

test("the linter rejects a broken workflow (the check can fail)", () => {
    const broken = readFileSync(path.join(WORKFLOWS, "preview.yml"), "utf8").replace("runs-on:", "runs-onn:");
    const dir = tempDir("wf");
    const file = path.join(dir, "broken.yml");
    writeFileSync(file, broken);
    assert.notEqual(validate(file).status, 0);
});

const load = (name: string) => parse(readFileSync(path.join(WORKFLOWS, name), "utf8"));

test("preview: on pull requests, tests, then pulumi preview of dev posted as a comment, backend from a secret or local", () => {
    const wf = load("preview.yml");
    assert.ok("pull_request" in wf.on);
    const steps = wf.jobs["test-and-preview"].steps;
    const runs = steps.map((s: any) => s.run ?? "").join("\n");
    assert.match(runs, /npm ci/);
    assert.match(runs, /npm test/);
    assert.match(runs, /secrets|SHARED_BACKEND/);
    assert.match(runs, /file:\/\/\$RUNNER_TEMP\/pulumi-state/);
    const preview = steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
    assert.equal(preview.with.command, "preview");
    assert.equal(preview.with["stack-name"], "dev");
    assert.equal(preview.with["comment-on-pr"], true);
    assert.match(preview.with["config-map"], /istio-multicluster:preflight/);
    assert.equal(wf.jobs["test-and-preview"].env.PULUMI_K8S_SKIP_UPDATE_UNREACHABLE, "true");
    assert.equal(wf.permissions["pull-requests"], "write");
});

test("e2e: manual and nightly; up, verify, destroy even on failure, nothing left behind, logs uploaded", () => {
    const wf = load("e2e.yml");
    assert.ok("workflow_dispatch" in wf.on && Array.isArray(wf.on.schedule));
    const steps: any[] = wf.jobs.e2e.steps;
    const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? ""));
    assert.ok(index(/kind-linux-amd64/) >= 0 && index(/get\.pulumi\.com/) >= 0 && index(/kubectl"/) >= 0);
    const up = index(/npm run up/);
    const verify = index(/npm run --silent verify/);
    const destroy = index(/npm run down/);
    assert.ok(up < verify && verify < destroy);
    assert.equal(steps[destroy].if, "always()");
    assert.equal(steps[index(/kind clusters left/)].if, "always()");
    const upload = steps.find((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    assert.equal(upload.if, "always()");
    assert.equal(wf.jobs.e2e.defaults.run.shell, "bash");
});
