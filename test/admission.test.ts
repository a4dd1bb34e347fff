// scripts/wait-for-admission.sh: retries until the webhook admits the object, or gives up clearly.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";

const SCRIPT = path.join(__dirname, "..", "scripts", "wait-for-admission.sh");

function run(env: Record<string, string>) {
    const state = mkdtempSync(path.join(tmpdir(), "admission-"));
    const result = spawnSync("bash", [SCRIPT], {
        encoding: "utf8",
        env: {
            ...process.env,
            PATH: `${path.join(__dirname, "fake-kubectl")}:${process.env.PATH}`,
            FAKE_STATE: state,
            MANIFEST: "kind: IPAddressPool\n",
            ...env,
        },
    });
    const log = existsSync(path.join(state, "kubectl.log")) ? readFileSync(path.join(state, "kubectl.log"), "utf8").trim().split("\n") : [];
    return { ...result, state, log };
}

test("retries while the webhook refuses, then succeeds; the kubeconfig is passed as a private file", () => {
    const result = run({ FAKE_REJECTIONS: "2", KUBECONFIG_DATA: "apiVersion: v1\nkind: Config\n# secret\n" });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.log.length, 3);
    assert.match(result.log[0], /^--kubeconfig \S+ apply --dry-run=server -f \S+manifest\.yaml$/);
    assert.match(readFileSync(path.join(result.state, "kubeconfig-seen"), "utf8"), /# secret/);
    const tempKubeconfig = result.log[0].split(" ")[1];
    assert.ok(!existsSync(tempKubeconfig), "the temporary kubeconfig is removed");
    assert.doesNotMatch(result.stdout + result.stderr, /# secret/, "credentials are not printed");
});

test("uses a kube context when no kubeconfig text is given", () => {
    const result = run({ KUBE_CONTEXT: "east" });
    assert.equal(result.status, 0);
    assert.match(result.log[0], /^--context east apply --dry-run=server/);
});

test("gives up after the timeout with the webhook's error", () => {
    const result = run({ FAKE_REJECTIONS: "1000", TIMEOUT_SECONDS: "1", KUBE_CONTEXT: "east" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /not admitted after 1s: Error from server \(InternalError\): .*failed calling webhook/);
    assert.ok(statSync(result.state).isDirectory());
});
