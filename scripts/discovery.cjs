// @ts-check
// Endpoint discovery, what `istioctl create-remote-secret` makes for every ordered pair of clusters,
// kept by one command for the whole mesh (components/endpoint-discovery.ts) instead of resources per
// pair, whose number and state grow with N·(N−1):
//
//   node scripts/discovery.cjs apply    in every cluster j: a reader token Secret for each other
//                                       member i (kept as it is when it exists) and none for anyone
//                                       else; once the token controllers filled them, in every
//                                       cluster i: a remote secret for each other member j, holding
//                                       the token j issued to i, and none for anyone else
//   node scripts/discovery.cjs delete   removes every token and remote secret the command made
//
// Environment: CLUSTERS (JSON, see Member), TIMEOUT_SECONDS. A member marked gone is not contacted:
// what it holds and what others hold for it stays as it is. Nothing secret passes through the
// command's inputs or outputs (a token goes from one API server to another), and objects are applied
// server-side (no last-applied annotation holding the kubeconfig): running it again changes nothing
// that is right, so istiod sees no event for a remote secret whose kubeconfig did not change, and
// taking one member away touches only that member's objects.
"use strict";
const { spawn } = require("node:child_process");
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");
const { stringify } = require("yaml");
const { kubectlTarget } = require("./host/kubectl-target.cjs");

const NAMESPACE = "istio-system";
const READER_SERVICE_ACCOUNT = "istio-reader-service-account";
const MANAGED_BY = { "app.kubernetes.io/managed-by": "istio-multicluster" };
/** Label of a reader token: the cluster it was issued to. */
const TOKEN_FOR = "istio-multicluster/reader-token-for";
const MANAGED = "app.kubernetes.io/managed-by=istio-multicluster";
const REMOTE_SECRETS = `istio/multiCluster=true,${MANAGED}`;
const FIELD_MANAGER = "istio-multicluster";
/** What an API server answers while it is starting, overloaded or away for a moment: worth another try. */
const TRANSIENT = [
    /connection refused|connection reset|unexpected EOF|EOF$|http2: client connection lost/,
    /i\/o timeout|TLS handshake timeout|context deadline exceeded|Client\.Timeout/,
    /the server is currently unable to handle the request|the server was unable to return a response in the time allotted/,
    /has received too many requests|etcdserver: (request timed out|leader changed)/,
    /^kubectl did not answer within/,
];
const isTransient = (why) => TRANSIENT.some((pattern) => pattern.test(why));
/** Clusters worked on at once (a kubectl each): enough to overlap the API servers' latency, few enough for a laptop at 16 clusters. */
const CONCURRENCY = 4;

/** The reader token a cluster issues to `consumer` (a cluster name). */
const tokenSecretName = (consumer) => `istio-reader-token-${consumer}`;
/** The remote secret by which a cluster reads `remote`. */
const remoteSecretName = (remote) => `istio-remote-secret-${remote}`;

/**
 * A cluster of the mesh as the command is told of it: its name, the API address and CA its peers
 * use, how the command reaches it (host/kubectl-target.cjs), and whether it is gone.
 * @typedef {{ clusterName: string, server: string, caData?: string, tlsServerName?: string, target: Record<string, string>, gone?: boolean }} Member
 */

/** @param {string} consumer */
function readerTokenSecret(consumer) {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name: tokenSecretName(consumer),
            namespace: NAMESPACE,
            labels: { ...MANAGED_BY, [TOKEN_FOR]: consumer },
            annotations: { "kubernetes.io/service-account.name": READER_SERVICE_ACCOUNT },
        },
        type: "kubernetes.io/service-account-token",
    };
}

/**
 * The kubeconfig a remote secret carries: one cluster, one user, one context, named after the remote.
 * @param {string} clusterName @param {string} server @param {string} caData @param {string} token @param {string} [tlsServerName]
 */
function remoteKubeconfig(clusterName, server, caData, token, tlsServerName) {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: clusterName,
                cluster: { server, "certificate-authority-data": caData, ...(tlsServerName ? { "tls-server-name": tlsServerName } : {}) },
            },
        ],
        users: [{ name: clusterName, user: { token } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        preferences: {},
    });
}

/**
 * The remote secret by which a cluster reads `remote`, from the data (base64 values) of the token
 * Secret `remote` issued to it. Its one key is the remote's cluster name, as Istio requires.
 * @param {Member} remote @param {{ token: string, "ca.crt": string }} tokenData
 */
function remoteSecret(remote, tokenData) {
    const kubeconfig = remoteKubeconfig(
        remote.clusterName,
        remote.server,
        // The service-account CA, as istioctl does, unless another CA serves the remote's address.
        remote.caData ?? tokenData["ca.crt"],
        Buffer.from(tokenData.token, "base64").toString("utf8"),
        remote.tlsServerName,
    );
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name: remoteSecretName(remote.clusterName),
            namespace: NAMESPACE,
            labels: { "istio/multiCluster": "true", ...MANAGED_BY },
            annotations: { "networking.istio.io/cluster": remote.clusterName },
        },
        type: "Opaque",
        data: { [remote.clusterName]: Buffer.from(kubeconfig).toString("base64") },
    };
}

/** A kubectl call that has not ended by then (its 20 s request timeout aside) is killed and counts as transient. */
const KUBECTL_LIMIT_MS = 60_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` on every item, at most `limit` at once; rejects with the first failure after all settled. */
async function eachLimited(items, limit, work) {
    const queue = [...items];
    const failures = [];
    await Promise.all(
        Array.from({ length: Math.min(limit, queue.length) }, async () => {
            while (queue.length > 0) {
                const item = queue.shift();
                await work(item).catch((error) => failures.push(error));
            }
        }),
    );
    if (failures.length > 0) throw new Error(failures.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
}

/**
 * One member as this command reaches it, through kubectl in its namespace.
 * @param {Member} member @param {string} dir a private folder for its kubeconfig
 */
function connect(member, dir) {
    const args = kubectlTarget(mkdtempSync(path.join(dir, "cluster-")), member.target);
    const name = member.clusterName;
    /** @param {string[]} more @param {string} [input] @returns {Promise<{ ok: boolean, stdout: string, why: string }>} */
    const kubectl = (more, input) =>
        new Promise((resolve) => {
            const child = spawn("kubectl", [...args, "--request-timeout=20s", "-n", NAMESPACE, ...more], {
                stdio: ["pipe", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (chunk) => (stdout += chunk));
            child.stderr.on("data", (chunk) => (stderr += chunk));
            let killed = false;
            const timer = setTimeout(() => {
                killed = true;
                child.kill("SIGKILL");
            }, KUBECTL_LIMIT_MS);
            child.on("error", (error) => (stderr += String(error)));
            child.on("close", (code) => {
                clearTimeout(timer);
                const why = killed ? `kubectl did not answer within ${KUBECTL_LIMIT_MS / 1000} s` : (stderr.trim().split("\n").pop() ?? "");
                resolve({ ok: code === 0 && !killed, stdout, why });
            });
            child.stdin.on("error", () => undefined);
            child.stdin.end(input);
        });
    /** Runs a change; one the API server did not take for a passing reason is tried again until `deadline`. */
    const change = async (more, input, deadline, what) => {
        for (;;) {
            const result = await kubectl(more, input);
            if (result.ok) return;
            if (!isTransient(result.why) || Date.now() >= deadline) throw new Error(`${name}: ${what} failed: ${result.why}`);
            await sleep(2000);
        }
    };
    return {
        member,
        name,
        /** Server-side apply; fields another manager holds (the per-pair resources of earlier releases) are taken over. */
        async apply(objects, deadline) {
            if (objects.length === 0) return;
            const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
            const args = ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--force-conflicts", "-f", "-"];
            await change(args, list, deadline, "kubectl apply");
        },
        /** The Secrets `selector` finds; a failed read is tried again until `deadline`. @returns {Promise<any[]>} */
        async secrets(selector, deadline) {
            for (;;) {
                const read = await kubectl(["get", "secrets", "-l", selector, "-o", "json"]);
                if (read.ok) return JSON.parse(read.stdout).items;
                if (Date.now() >= deadline) throw new Error(`${name}: cannot list Secrets ${selector} in ${NAMESPACE}: ${read.why}`);
                await sleep(2000);
            }
        },
        /** Deletes the Secrets among `found` (default: what `selector` finds) whose names are not in `keep`. */
        async removeOthers(selector, keep, deadline, found) {
            const names = (found ?? (await this.secrets(selector, deadline))).map((s) => s.metadata.name).filter((n) => !keep.includes(n));
            if (names.length > 0)
                await change(
                    ["delete", "secret", "--ignore-not-found", ...names],
                    undefined,
                    deadline,
                    `kubectl delete secret ${names.join(" ")}`,
                );
        },
    };
}

const filled = (secret) => Boolean(secret.data?.token && secret.data["ca.crt"]);

/**
 * Makes every cluster's reader tokens for the others and waits until all are filled.
 * @returns {Promise<Map<string, Map<string, any>>>} issuer -> consumer -> its token Secret
 */
async function issueTokens(live, members, deadline) {
    const tokens = new Map();
    await eachLimited(live, CONCURRENCY, async (issuer) => {
        const consumers = members.filter((m) => m.clusterName !== issuer.name).map((m) => m.clusterName);
        await issuer.apply(consumers.map(readerTokenSecret), deadline);
        for (let first = true; ; first = false) {
            const found = await issuer.secrets(TOKEN_FOR, deadline);
            if (first) await issuer.removeOthers(TOKEN_FOR, consumers.map(tokenSecretName), deadline, found);
            const byConsumer = new Map(found.filter(filled).map((s) => [s.metadata.labels[TOKEN_FOR], s]));
            const waiting = consumers.filter((c) => !byConsumer.has(c));
            if (waiting.length === 0) return void tokens.set(issuer.name, byConsumer);
            if (Date.now() >= deadline) {
                throw new Error(
                    `${issuer.name}: the token controller has not filled the reader tokens for ${waiting.join(", ")} ` +
                        `(Secrets ${NAMESPACE}/${waiting.map(tokenSecretName).join(", ")})`,
                );
            }
            await sleep(1000);
        }
    });
    return tokens;
}

async function apply(live, members, deadline) {
    const tokens = await issueTokens(live, members, deadline);
    await eachLimited(live, CONCURRENCY, async (consumer) => {
        const peers = members.filter((m) => m.clusterName !== consumer.name);
        // A gone peer cannot be read: its remote secret stays as it is.
        const readable = peers.filter((peer) => !peer.gone);
        await consumer.apply(
            readable.map((peer) => remoteSecret(peer, tokens.get(peer.clusterName).get(consumer.name).data)),
            deadline,
        );
        await consumer.removeOthers(
            REMOTE_SECRETS,
            peers.map((p) => remoteSecretName(p.clusterName)),
            deadline,
        );
    });
    return `endpoint discovery: ${live.length} clusters issue reader tokens and hold remote secrets for their ${members.length - 1} peers`;
}

/**
 * What the command made that is not there any more (deleted by hand, say): for each member that
 * answers, the reader tokens and remote secrets it should hold for the other members in `known`
 * (the clusters the last update made them for). A member that does not answer is left out.
 * @param {Member[]} members @param {string[]} known
 * @returns {Promise<string[]>} "clusterX: Secret istio-system/NAME", sorted
 */
async function missingObjects(members, known) {
    const dir = mkdtempSync(path.join(tmpdir(), "istio-mc-discovery-"));
    const missing = [];
    try {
        const checked = members.filter((m) => !m.gone && known.includes(m.clusterName));
        await eachLimited(checked, CONCURRENCY, async (member) => {
            let cluster;
            try {
                cluster = connect(member, dir);
            } catch {
                return; // kind cannot give its kubeconfig: the cluster is not there to check
            }
            const found = await cluster.secrets(MANAGED, Date.now()).catch(() => undefined);
            if (!found) return;
            const names = new Set(found.map((s) => s.metadata.name));
            const peers = members.filter((p) => p !== member && known.includes(p.clusterName));
            const expected = [
                ...peers.map((p) => tokenSecretName(p.clusterName)),
                // A gone peer's remote secret cannot be made again.
                ...peers.filter((p) => !p.gone).map((p) => remoteSecretName(p.clusterName)),
            ];
            for (const name of expected.filter((n) => !names.has(n))) missing.push(`${member.clusterName}: Secret ${NAMESPACE}/${name}`);
        });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    return missing.sort();
}

async function remove(live, deadline) {
    await eachLimited(live, CONCURRENCY, async (cluster) => {
        await cluster.removeOthers(TOKEN_FOR, [], deadline);
        await cluster.removeOthers(REMOTE_SECRETS, [], deadline);
    });
    return `endpoint discovery: removed from ${live.length} clusters`;
}

async function main() {
    const mode = process.argv[2];
    if (mode !== "apply" && mode !== "delete") throw new Error("usage: node scripts/discovery.cjs apply|delete");
    /** @type {Member[]} */
    const members = JSON.parse(process.env.CLUSTERS || "[]");
    const deadline = Date.now() + Number(process.env.TIMEOUT_SECONDS || 300) * 1000;
    const dir = mkdtempSync(path.join(tmpdir(), "istio-mc-discovery-"));
    try {
        const live = members.filter((m) => !m.gone).map((m) => connect(m, dir));
        const summary = mode === "apply" ? await apply(live, members, deadline) : await remove(live, deadline);
        process.stdout.write(`${summary}\n`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().catch((error) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
    });
}

module.exports = {
    isTransient,
    tokenSecretName,
    remoteSecretName,
    readerTokenSecret,
    remoteSecret,
    remoteKubeconfig,
    missingObjects,
    READER_SERVICE_ACCOUNT,
};
