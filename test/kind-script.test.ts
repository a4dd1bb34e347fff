// scripts/kind-cluster.sh with fake kind/docker and the real kubectl on a temporary KUBECONFIG.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { kindCluster } from "../components/config";
import { kindConfigYaml } from "../components/kind/kind-config";
import { parseCreateOutput } from "../components/kind/kind-cluster";
import { fakeHost, writeFile } from "./fakes";

const IMAGE = "kindest/node:v1.36.4";
const envFor = (index: number) => ({
    KIND_CLUSTER_NAME: `istio-${index}`,
    KUBE_CONTEXT: `istio-${index}`,
    KIND_CONFIG: kindConfigYaml(kindCluster(index), IMAGE),
});

const USER_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://prod.example.com"}
  name: prod
contexts:
- context: {cluster: prod, user: alice}
  name: prod
current-context: prod
users:
- name: alice
  user: {token: secret-token}
`;

test("create makes the cluster with its config, merges context istio-<i>, prints the peer address", () => {
    const host = fakeHost();
    writeFile(host.kubeconfig, USER_KUBECONFIG);
    const result = host.run("kind-cluster.sh", ["create"], envFor(2));
    assert.equal(result.status, 0, result.stderr);

    const create = host.calls().find((c) => c.startsWith("kind create cluster"));
    assert.ok(create, "kind create cluster was called");
    assert.match(create!, /--name istio-2 /);
    assert.match(create!, /--kubeconfig \S+/, "kind must not write kind-istio-2 into the user's kubeconfig");
    const config = parse(require("fs").readFileSync(path.join(host.state, "config-istio-2.yaml"), "utf8"));
    assert.deepEqual(config.networking, { podSubnet: "10.102.0.0/16", serviceSubnet: "10.2.0.0/16" });
    assert.equal(config.nodes[0].image, IMAGE);

    const contexts = host.kubectl("config", "get-contexts", "-o", "name").trim().split("\n").sort();
    assert.deepEqual(contexts, ["istio-2", "prod"]);
    assert.equal(host.kubectl("config", "current-context").trim(), "prod", "the user's current context is kept");
    assert.match(host.kubectl("config", "view", "--raw", "-o", 'jsonpath={.users[?(@.name=="alice")].user.token}'), /secret-token/);
    const server = host.kubectl("config", "view", "-o", 'jsonpath={.clusters[?(@.name=="kind-istio-2")].cluster.server}');
    assert.match(server, /^https:\/\/127\.0\.0\.1:\d+$/, "the host uses kind's forwarded port");

    const out = parseCreateOutput("istio-2", result.stdout);
    assert.equal(out.apiServer, "https://172.18.0.10:6443");
    assert.doesNotMatch(result.stdout, /client-key-data|BEGIN/, "no credentials on stdout");
});

test("create on a fresh machine writes a new kubeconfig with only the lab context", () => {
    const host = fakeHost();
    assert.equal(host.run("kind-cluster.sh", ["create"], envFor(1)).status, 0);
    assert.deepEqual(host.kubectl("config", "get-contexts", "-o", "name").trim().split("\n"), ["istio-1"]);
    assert.equal(require("fs").statSync(host.kubeconfig).mode & 0o777, 0o600);
});

test("create adopts a healthy cluster left by an earlier run instead of failing", () => {
    const host = fakeHost();
    assert.equal(host.run("kind-cluster.sh", ["create"], envFor(1)).status, 0);
    // A half-finished run: the cluster exists but its context was lost.
    host.kubectl("config", "delete-context", "istio-1");
    const again = host.run("kind-cluster.sh", ["create"], envFor(1));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /adopting it/);
    assert.equal(host.calls().filter((c) => c.startsWith("kind create cluster")).length, 1);
    assert.ok(host.kubectl("config", "get-contexts", "-o", "name").includes("istio-1"));
});

test("create recreates a cluster whose node container is stopped", () => {
    const host = fakeHost();
    assert.equal(host.run("kind-cluster.sh", ["create"], envFor(1)).status, 0);
    writeFileSync(path.join(host.state, "stopped-istio-1"), "");
    const again = host.run("kind-cluster.sh", ["create"], envFor(1));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /not running: recreating it/);
    const calls = host.calls();
    assert.equal(calls.filter((c) => c.startsWith("kind delete cluster --name istio-1")).length, 1);
    assert.equal(calls.filter((c) => c.startsWith("kind create cluster")).length, 2);
});

test("a failed kind create fails the step with kind's message", () => {
    const host = fakeHost({ FAKE_KIND_CREATE_FAIL: "1" });
    const result = host.run("kind-cluster.sh", ["create"], envFor(1));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /failed to create cluster: boom/);
});

test("delete removes the cluster and its context, cluster and user entries, and nothing else", () => {
    const host = fakeHost();
    writeFile(host.kubeconfig, USER_KUBECONFIG);
    for (const i of [1, 2]) assert.equal(host.run("kind-cluster.sh", ["create"], envFor(i)).status, 0);
    host.kubectl("config", "use-context", "istio-1");

    const result = host.run("kind-cluster.sh", ["delete"], envFor(1));
    assert.equal(result.status, 0, result.stderr);
    assert.ok(host.calls().some((c) => c.startsWith("kind delete cluster --name istio-1")));
    assert.deepEqual(host.kubectl("config", "get-contexts", "-o", "name").trim().split("\n").sort(), ["istio-2", "prod"]);
    assert.deepEqual(host.kubectl("config", "get-clusters").trim().split("\n").slice(1).sort(), ["kind-istio-2", "prod"]);
    assert.deepEqual(host.kubectl("config", "get-users").trim().split("\n").slice(1).sort(), ["alice", "kind-istio-2"]);
    assert.equal(host.kubectl("config", "view", "-o", "jsonpath={.current-context}"), "", "no dangling current context");
});

test("delete of a cluster that is already gone succeeds", () => {
    const host = fakeHost();
    const result = host.run("kind-cluster.sh", ["delete"], envFor(3));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /already gone/);
    assert.equal(host.calls().filter((c) => c.startsWith("kind delete")).length, 0);
});

test("parallel creates of several clusters all land in the kubeconfig (lock)", async () => {
    const host = fakeHost();
    const { spawn } = await import("node:child_process");
    const runs = [1, 2, 3, 4].map(
        (i) =>
            new Promise<number>((resolve) => {
                const child = spawn("bash", [path.join(__dirname, "..", "scripts", "kind-cluster.sh"), "create"], {
                    env: { ...host.env, ...envFor(i) },
                    stdio: "ignore",
                });
                child.on("exit", (code) => resolve(code ?? -1));
            }),
    );
    assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0]);
    assert.deepEqual(host.kubectl("config", "get-contexts", "-o", "name").trim().split("\n").sort(), [
        "istio-1",
        "istio-2",
        "istio-3",
        "istio-4",
    ]);
    assert.ok(!existsSync(`${host.kubeconfig}.istio-multicluster.lock`), "lock released");
});

test("kubeconfig prints the admin kubeconfig", () => {
    const host = fakeHost();
    host.run("kind-cluster.sh", ["create"], envFor(1));
    const result = host.run("kind-cluster.sh", ["kubeconfig"], envFor(1));
    assert.equal(result.status, 0);
    assert.equal(parse(result.stdout).clusters[0].name, "kind-istio-1");
});

test("parseCreateOutput rejects a loopback or missing address", () => {
    assert.throws(() => parseCreateOutput("istio-1", '{"apiServer":"https://127.0.0.1:6443","network":[]}'), /no control-plane address/);
    assert.throws(() => parseCreateOutput("istio-1", "garbage"), /unexpected output/);
});
