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

test("preview: plan-diff against the base, chart look-up and policy on every pull request; one comment updated in place; forks get an artifact", () => {
    const wf = load("preview.yml");
    assert.ok("pull_request" in wf.on);
    const job = wf.jobs.plan;
    const steps: any[] = job.steps;
    const runs = steps.map((s) => s.run ?? "").join("\n");
    assert.equal(steps.find((s) => String(s.uses).startsWith("actions/checkout@")).with["fetch-depth"], 0, "the base branch is there");
    assert.match(runs, /npm run --silent plan-diff -- --base "origin\/\$\{\{ github\.base_ref \}\}"/);
    assert.match(runs, /npm run --silent check-charts/);
    assert.match(runs, /npm run --silent check-policy/);
    const preview = steps.find((s) => /pulumi preview/.test(s.run ?? ""));
    assert.match(preview.if, /SHARED_BACKEND != ''/);
    assert.match(preview.if, /FROM_FORK == 'false'/);
    assert.match(preview.run, /--policy-pack policy/);
    assert.doesNotMatch(JSON.stringify(wf), /PULUMI_K8S_SKIP_UPDATE_UNREACHABLE/, "no masking of unreachable clusters");
    const comment = steps.find((s) => String(s.uses).startsWith("actions/github-script@"));
    assert.equal(comment.if, "env.FROM_FORK == 'false'");
    assert.match(comment.with.script, /updateComment/);
    assert.match(comment.with.script, /istio-multicluster-preview/);
    assert.match(runs, /^ {2}echo "<!-- istio-multicluster-preview -->"$/m, "the marker the comment is found by");
    const upload = steps.find((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    assert.equal(upload.if, "always()");
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
    // Then the canary upgrade's three steps, each verified, with a traffic probe across them.
    const canary = index(/istioCanary=\$\{CANARY_VERSION\}/);
    assert.ok(verify < canary && canary < destroy);
    const script: string = steps[canary].run;
    const order = [
        "istioCanary=${CANARY_VERSION}",
        "verify-step1.json",
        "istioVersion=${CANARY_VERSION}",
        "verify-step2.json",
        'istioCanary="',
        "touch logs/stop-probe",
    ];
    assert.deepEqual(
        order.map((text) => script.indexOf(text)),
        order.map((text) => script.indexOf(text)).sort((a, b) => a - b),
    );
    assert.ok(order.every((text) => script.includes(text)));
    assert.match(script, /\[ "\$failed" = 0 \]/, "a failed call during the upgrade fails the run");
    assert.equal(steps[destroy].if, "always()");
    assert.equal(steps[index(/kind clusters left/)].if, "always()");
    const upload = steps.find((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    assert.equal(upload.if, "always()");
    assert.equal(wf.jobs.e2e.defaults.run.shell, "bash");
});
