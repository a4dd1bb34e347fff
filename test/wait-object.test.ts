// scripts/wait-object.cjs: waits until a reader token is filled or a gateway has its address,
// rides out failed reads, prints what the program needs, and names what is missing at the timeout.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { tempDir } from "./temp";

const ROOT = path.join(__dirname, "..");

function waitObject(mode: string, objects: unknown[], env: Record<string, string> = {}) {
    const state = tempDir("wait-object");
    const result = spawnSync("node", ["scripts/wait-object.cjs", mode], {
        cwd: ROOT,
        encoding: "utf8",
        env: {
            ...process.env,
            PATH: `${path.join(__dirname, "fake-kubectl-objects")}:${process.env.PATH}`,
            TMPDIR: state,
            FAKE_STATE: state,
            FAKE_OBJECTS: objects.map((o) => (typeof o === "string" ? o : JSON.stringify(o))).join("\n"),
            CLUSTER: "cluster2",
            NAMESPACE: "istio-system",
            NAME: "istio-reader-token-cluster1",
            ...env,
        },
    });
    const read = (file: string) => (existsSync(path.join(state, file)) ? readFileSync(path.join(state, file), "utf8").trim() : "");
    return { ...result, calls: read("kubectl.log").split("\n"), kubeconfig: read("kubeconfig-seen"), mode: read("kubeconfig-mode"), state };
}

const filled = { data: { token: "dG9rZW4=", "ca.crt": "Y2E=", namespace: "aXN0aW8tc3lzdGVt" } };

test("reader-token: waits for the token controller, through failed reads, then prints token and ca.crt only", () => {
    const result = waitObject("reader-token", [{ data: {} }, "FAIL The connection to the server was refused", filled], {
        KUBE_CONTEXT: "istio-2",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { token: "dG9rZW4=", "ca.crt": "Y2E=" });
    assert.equal(result.calls.length, 3);
    assert.equal(result.calls[0], "--context istio-2 -n istio-system get secret istio-reader-token-cluster1 -o json");
});

test("reader-token: a kubeconfig given as data goes to a private file that is removed; at the timeout, what is missing and why", () => {
    const result = waitObject("reader-token", [{ data: {} }], { KUBECONFIG_DATA: "apiVersion: v1\nkind: Config\n", TIMEOUT_SECONDS: "1" });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "cluster2: the token controller has not filled Secret istio-system/istio-reader-token-cluster1 after 1s\n");
    assert.equal(result.kubeconfig, "apiVersion: v1\nkind: Config");
    assert.equal(result.mode, "600");
    assert.deepEqual(
        spawnSync("ls", ["-A", result.state], { encoding: "utf8" })
            .stdout.split("\n")
            .filter((f) => f.startsWith("istio-mc-wait")),
        [],
    );

    const down = waitObject("reader-token", ["FAIL Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout"], {
        TIMEOUT_SECONDS: "1",
    });
    assert.match(down.stderr, /after 1s \(kubectl: Unable to connect to the server: dial tcp 10\.0\.0\.1:6443: i\/o timeout\)\n$/);
});

test("gateway-address: the platform's IP or hostname once there", () => {
    const pending = { status: { loadBalancer: {} } };
    const ip = waitObject("gateway-address", [pending, { status: { loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } } }], {
        NAME: "istio-eastwestgateway",
    });
    assert.equal(ip.status, 0, ip.stderr);
    assert.equal(ip.stdout, "203.0.113.7\n");
    assert.match(ip.calls[0], /get service istio-eastwestgateway -o json$/);
    const host = waitObject("gateway-address", [{ status: { loadBalancer: { ingress: [{ hostname: "gw.example.com" }] } } }], {
        NAME: "x",
    });
    assert.equal(host.stdout, "gw.example.com\n");
    const never = waitObject("gateway-address", [pending], { NAME: "istio-eastwestgateway", TIMEOUT_SECONDS: "1" });
    assert.equal(never.stderr, "cluster2: no load balancer address on Service istio-system/istio-eastwestgateway after 1s\n");
    assert.equal(waitObject("nonsense", []).stderr, "usage: node scripts/wait-object.cjs reader-token|gateway-address\n");
});
