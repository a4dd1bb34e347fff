// @ts-check
// Waits until an object the program made has what the program reads from it, and prints that on
// stdout (which the program keeps secret where it is secret):
//   node scripts/wait-object.cjs reader-token      `token` and `ca.crt` of a reader token Secret, as
//                                                  JSON, once the token controller filled them (the
//                                                  Kubernetes provider waits 5 s only)
//   node scripts/wait-object.cjs gateway-address   a LoadBalancer Service's address (IP or hostname),
//                                                  once the platform gave it one
// Plain JavaScript on purpose: a reader token is read for every ordered pair of clusters, and a
// TypeScript loader per process (tsx starts esbuild) costs minutes at 16 clusters.
// Environment: CLUSTER (for messages), NAMESPACE, NAME, TIMEOUT_SECONDS, and the target cluster:
// KUBECONFIG_DATA (kubeconfig text, written to a private file) or KUBE_CONTEXT [+ KUBECONFIG].
"use strict";
const { spawnSync } = require("node:child_process");
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");
const { kubectlTarget } = require("./host/kubectl-target.cjs");

/** @type {Record<string, { kind: string, found: (o: any) => string | undefined, missing: string }>} */
const WAITS = {
    "reader-token": {
        kind: "secret",
        found: (o) => (o.data?.token && o.data["ca.crt"] ? JSON.stringify({ token: o.data.token, "ca.crt": o.data["ca.crt"] }) : undefined),
        missing: "the token controller has not filled Secret",
    },
    "gateway-address": {
        kind: "service",
        found: (o) => o.status?.loadBalancer?.ingress?.[0]?.ip || o.status?.loadBalancer?.ingress?.[0]?.hostname || undefined,
        missing: "no load balancer address on Service",
    },
};

/** @param {string} name */
function required(name) {
    const value = process.env[name]?.trim();
    if (!value) throw new Error(`${name} is required`);
    return value;
}

function main() {
    const wait = WAITS[process.argv[2]];
    if (!wait) throw new Error(`usage: node scripts/wait-object.cjs ${Object.keys(WAITS).join("|")}`);
    const cluster = required("CLUSTER");
    const namespace = required("NAMESPACE");
    const name = required("NAME");
    const timeoutSeconds = Number(process.env.TIMEOUT_SECONDS || 300);
    const dir = mkdtempSync(path.join(tmpdir(), "istio-mc-wait-"));
    try {
        const target = kubectlTarget(dir);
        const deadline = Date.now() + timeoutSeconds * 1000;
        for (;;) {
            // A failed read (an API server slow under load, a moment of refused connections) is tried again.
            const read = spawnSync("kubectl", [...target, "-n", namespace, "get", wait.kind, name, "-o", "json"], {
                encoding: "utf8",
                timeout: 30_000,
            });
            const found = read.status === 0 ? wait.found(JSON.parse(read.stdout)) : undefined;
            if (found !== undefined) {
                process.stdout.write(`${found}\n`);
                return;
            }
            if (Date.now() >= deadline) {
                const why = read.status === 0 ? "" : ` (kubectl: ${(read.stderr || String(read.error)).trim().split("\n").pop()})`;
                throw new Error(`${cluster}: ${wait.missing} ${namespace}/${name} after ${timeoutSeconds}s${why}`);
            }
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

try {
    main();
} catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
}
