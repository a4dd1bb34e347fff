// scripts/wait-for-admission.ts: retries while the webhook is not serving yet, fails at once when
// the API rejects the object, gives up clearly at the timeout. The fake kubectl answers with the
// API server's own wording (MetalLB's webhook behind it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { isNotReady } from "../scripts/wait-for-admission";

const ROOT = path.join(__dirname, "..");
const WEBHOOK = `error when creating "manifest.yaml": Internal error occurred: failed calling webhook "ipaddresspoolvalidationwebhook.metallb.io": failed to call webhook: Post "https://metallb-webhook-service.metallb-system.svc:443/validate-metallb-io-v1beta1-ipaddresspool?timeout=10s"`;
const NOT_READY = {
    noEndpoints: `Error from server (InternalError): ${WEBHOOK}: no endpoints available for service "metallb-webhook-service"`,
    refused: `Error from server (InternalError): ${WEBHOOK}: dial tcp 10.96.12.34:443: connect: connection refused`,
    x509: `Error from server (InternalError): ${WEBHOOK}: tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    noCrd: `error: resource mapping not found for name: "mesh-pool" namespace: "metallb-system" from "manifest.yaml": no matches for kind "IPAddressPool" in version "metallb.io/v1beta1"\nensure CRDs are installed first`,
};
const DENIED = `Error from server (Forbidden): error when creating "manifest.yaml": admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: CIDR "172.18.128.0/29" in pool "mesh-pool" overlaps with already defined CIDR "172.18.128.0/29"`;

function run(env: Record<string, string>) {
    const state = mkdtempSync(path.join(tmpdir(), "istio-mc-admission-test-"));
    try {
        const result = spawnSync("node", ["--import", "tsx", "scripts/wait-for-admission.ts"], {
            cwd: ROOT,
            encoding: "utf8",
            env: {
                ...process.env,
                PATH: `${path.join(__dirname, "fake-kubectl")}:${process.env.PATH}`,
                TMPDIR: state,
                FAKE_STATE: state,
                MANIFEST: "kind: IPAddressPool\n",
                ...env,
            },
        });
        const logFile = path.join(state, "kubectl.log");
        const log = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n") : [];
        const seen = path.join(state, "kubeconfig-seen");
        return { ...result, log, kubeconfigSeen: existsSync(seen) ? readFileSync(seen, "utf8") : "" };
    } finally {
        rmSync(state, { recursive: true, force: true });
    }
}

test("the errors of a webhook that is still starting are retried; a rejection of the object is not", () => {
    for (const [name, message] of Object.entries(NOT_READY)) assert.ok(isNotReady(message), name);
    assert.equal(isNotReady(DENIED), false);
    assert.equal(isNotReady('The IPAddressPool "mesh-pool" is invalid: spec.addresses: Required value'), false);
});

test("retries while the webhook is not serving, then succeeds; the kubeconfig is passed as a private file", () => {
    const result = run({
        FAKE_ERRORS: [NOT_READY.noCrd.replace("\n", " "), NOT_READY.refused].join("\n"),
        KUBECONFIG_DATA: "apiVersion: v1\nkind: Config\n# secret\n",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "admitted\n");
    assert.equal(result.log.length, 3);
    assert.match(result.log[0], /^--kubeconfig \S+ apply --dry-run=server -f \S+manifest\.yaml$/);
    assert.match(result.kubeconfigSeen, /# secret/);
    assert.doesNotMatch(result.stdout + result.stderr, /# secret/, "credentials are not printed");
});

test("uses a kube context when no kubeconfig text is given", () => {
    const result = run({ KUBE_CONTEXT: "east" });
    assert.equal(result.status, 0);
    assert.match(result.log[0], /^--context east apply --dry-run=server/);
});

test("a rejected object (an overlapping range) fails at once with the API's message", () => {
    const started = Date.now();
    const result = run({ FAKE_ERRORS: DENIED, KUBE_CONTEXT: "east", TIMEOUT_SECONDS: "600" });
    assert.equal(result.status, 1);
    assert.equal(result.log.length, 1, "no retry");
    assert.equal(result.stderr, `rejected by the API server: ${DENIED}\n`);
    assert.ok(Date.now() - started < 10_000);
});

test("gives up after the timeout with the webhook's last error", () => {
    const result = run({ FAKE_ERRORS: NOT_READY.noEndpoints, FAKE_ERRORS_FOREVER: "1", TIMEOUT_SECONDS: "1", KUBE_CONTEXT: "east" });
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `not admitted after 1s: ${NOT_READY.noEndpoints}\n`);
});
