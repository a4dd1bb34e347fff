// scripts/kind-cluster.ts on a real Docker engine with the real kind CLI (test/real-kind: only
// `kind create cluster` is played, as no node image can be pulled) and the real kubectl.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { kindCluster } from "../components/config";
import { kindConfigYaml } from "../components/kind/kind-config";
import { parseCreateOutput } from "../components/kind/kind-cluster";
import { kindPreflight } from "../components/kind/preflight";
import { PreflightError } from "../components/run";
import { DockerHost, PREFIX, docker, dockerHost, dockerTierSkip, sh } from "./docker-host";

const skip = dockerTierSkip();
if (skip) console.log(`skipped: the host-side tier ${skip}`);

let host: DockerHost;
before(() => {
    if (!skip) host = dockerHost();
});
after(() => host?.cleanup());

const SCRIPT = "node --import tsx scripts/kind-cluster.ts";
let counter = 0;
/** A fresh cluster name and the environment the KindCluster component gives the script. */
function cluster(index = 1, extra: Record<string, string> = {}) {
    const name = `${PREFIX}-${++counter}`;
    return {
        name,
        env: { KIND_CLUSTER_NAME: name, KUBE_CONTEXT: name, KIND_CONFIG: kindConfigYaml(kindCluster(index), host.image), ...extra },
    };
}
const create = (env: Record<string, string>) => host.command(`${SCRIPT} create`, env);
const destroy = (env: Record<string, string>) => host.command(`${SCRIPT} delete`, env);
const kindCreates = (name: string) => host.kindCalls().filter((c) => c.startsWith(`kind create cluster --name ${name} `)).length;
const kubeconfigJson = () => JSON.parse(sh("kubectl", ["config", "view", "-o", "json"], { env: host.env }).stdout);
const names = (list: "clusters" | "contexts" | "users") => (kubeconfigJson()[list] ?? []).map((e: { name: string }) => e.name).sort();

const USER_KUBECONFIG = `# my clusters: keep this comment
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://prod.example.com", certificate-authority: /nonexistent/ca.pem}
  name: prod
contexts:
- context: {cluster: prod, user: alice}
  name: prod
- context: {cluster: prod, user: eks}
  name: prod-eks
current-context: prod
users:
- name: alice
  user: {client-certificate: /nonexistent/alice.pem, client-key: /nonexistent/alice-key.pem}
- name: eks
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws}
`;

function userKubeconfig(text = USER_KUBECONFIG, mode = 0o644): string {
    mkdirSync(path.dirname(host.kubeconfig), { recursive: true });
    writeFileSync(host.kubeconfig, text, { mode });
    return text;
}
const foreign = (config: any) => ({
    clusters: config.clusters.filter((c: any) => c.name === "prod"),
    users: config.users.filter((u: any) => ["alice", "eks"].includes(u.name)),
    contexts: config.contexts.filter((c: any) => c.name.startsWith("prod")),
});

test(
    "create: our context next to entries whose files are missing; theirs, comments, mode and current context kept; a backup; the peer address",
    { skip },
    () => {
        const original = userKubeconfig();
        const { name, env } = cluster(2);
        const result = create(env);
        assert.equal(result.status, 0, result.stderr);

        const after = readFileSync(host.kubeconfig, "utf8");
        assert.deepEqual(foreign(parse(after)), foreign(parse(original)), "the user's entries are as they were");
        assert.match(after, /^# my clusters: keep this comment$/m);
        assert.doesNotMatch(after, /args: null/);
        assert.equal(statSync(host.kubeconfig).mode & 0o777, 0o644);
        assert.equal(readFileSync(`${host.kubeconfig}.istio-multicluster.bak`, "utf8"), original);
        assert.equal(kubeconfigJson()["current-context"], "prod");
        assert.deepEqual(names("contexts"), [name, "prod", "prod-eks"].sort());
        assert.deepEqual(names("clusters"), [`kind-${name}`, "prod"]);
        assert.ok(!existsSync(`${host.kubeconfig}.lock`), "the lock is released");

        // The host reaches the API through kind's published port; peers through the node's address.
        const ready = sh("kubectl", ["--context", name, "get", "--raw", "/readyz"], { env: host.env });
        assert.equal(ready.stdout, "ok", ready.stderr);
        const out = parseCreateOutput(name, result.stdout);
        const address = docker(
            "inspect",
            "--format",
            `{{(index .NetworkSettings.Networks "${host.network}").IPAddress}}`,
            `${name}-control-plane`,
        );
        assert.equal(out.apiServer, `https://${address}:6443`);
        assert.deepEqual(out.network, JSON.parse(docker("network", "inspect", host.network, "--format", "{{json .IPAM.Config}}")));
        assert.doesNotMatch(result.stdout, /client-key-data|BEGIN/, "no credentials on stdout");
        assert.equal(destroy(env).status, 0);
    },
);

test("create on a fresh machine writes a private kubeconfig with only our context, and makes it current", { skip }, () => {
    const { name, env } = cluster();
    const result = create({ ...env, KUBECONFIG: path.join(host.dir, "fresh", "config") });
    assert.equal(result.status, 0, result.stderr);
    const file = path.join(host.dir, "fresh", "config");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(parse(readFileSync(file, "utf8"))["current-context"], name);
    assert.equal(destroy({ ...env, KUBECONFIG: file }).status, 0);
    assert.equal(parse(readFileSync(file, "utf8")).contexts.length, 0);
});

test("a kubeconfig that cannot be read is left byte for byte; the cluster this run made is deleted again", { skip }, () => {
    const broken = userKubeconfig("apiVersion: v1\nclusters: [\n  - name: half\n");
    const { name, env } = cluster();
    const result = create(env);
    assert.equal(result.status, 1);
    assert.match(result.stderr, new RegExp(`${host.kubeconfig.replace(/[.]/g, "\\.")} is not valid YAML: .*is unchanged\\)`));
    assert.match(result.stderr, /cleaning up after the failure: deleting the cluster this run created/);
    assert.equal(readFileSync(host.kubeconfig, "utf8"), broken);
    assert.deepEqual(
        host.nodes().filter((n) => n.startsWith(name)),
        [],
        "nothing left behind",
    );
});

test("a symlinked kubeconfig stays a symlink; its target gets our entries", { skip }, () => {
    const target = path.join(host.dir, "real-config");
    writeFileSync(target, USER_KUBECONFIG, { mode: 0o600 });
    const link = path.join(host.dir, "link-config");
    symlinkSync(target, link);
    const { name, env } = cluster();
    assert.equal(create({ ...env, KUBECONFIG: link }).status, 0);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.ok(parse(readFileSync(target, "utf8")).contexts.some((c: any) => c.name === name));
    assert.equal(destroy({ ...env, KUBECONFIG: link }).status, 0);
    assert.deepEqual(foreign(parse(readFileSync(target, "utf8"))), foreign(parse(USER_KUBECONFIG)));
});

test("create adopts a healthy cluster that matches the config (a lost context comes back)", { skip }, () => {
    userKubeconfig();
    const { name, env } = cluster();
    assert.equal(create(env).status, 0);
    sh("kubectl", ["config", "delete-context", name], { env: host.env });
    const again = create(env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /exists from an earlier run, healthy and as configured: adopting it/);
    assert.equal(kindCreates(name), 1);
    assert.ok(names("contexts").includes(name));
    assert.equal(destroy(env).status, 0);
});

const RECREATE_CASES: Record<string, { spoil: (name: string) => void; config?: number; reason: RegExp }> = {
    "its node container stopped": { spoil: (name) => docker("stop", "-t", "0", `${name}-control-plane`), reason: /is not running/ },
    "its API not answering /readyz": {
        spoil: (name) => docker("exec", `${name}-control-plane`, "touch", "/stub-unready"),
        reason: /does not answer \/readyz/,
    },
    "other subnets than the config": {
        spoil: () => undefined,
        config: 3,
        reason: /its podSubnet is 10\.101\.0\.0\/16, the config wants 10\.103\.0\.0\/16/,
    },
};
for (const [what, { spoil, config, reason }] of Object.entries(RECREATE_CASES)) {
    test(`create deletes and recreates a cluster with ${what}, and says why`, { skip }, () => {
        userKubeconfig();
        const { name, env } = cluster(1);
        assert.equal(create(env).status, 0);
        spoil(name);
        const again = create(config ? { ...env, KIND_CONFIG: kindConfigYaml(kindCluster(config), host.image) } : env);
        assert.equal(again.status, 0, again.stderr);
        assert.match(again.stderr, reason);
        assert.match(again.stderr, /: deleting and recreating it/);
        assert.equal(kindCreates(name), 2);
        assert.equal(sh("kubectl", ["--context", name, "get", "--raw", "/readyz"], { env: host.env }).stdout, "ok");
        assert.equal(destroy(env).status, 0);
    });
}

test("a node killed before kubeadm finished (no admin.conf) is not adopted: the next create replaces it", { skip }, () => {
    userKubeconfig();
    const { name, env } = cluster();
    const killed = create({ ...env, FAKE_KIND_HALF_MADE: "1" });
    assert.equal(killed.status, 1);
    assert.match(killed.stderr, /failed to init node with kubeadm/);
    assert.deepEqual(
        host.nodes().filter((n) => n.startsWith(name)),
        [`${name}-control-plane`],
        "a killed kind leaves its node",
    );
    const next = create(env);
    assert.equal(next.status, 0, next.stderr);
    assert.match(next.stderr, /its kubeconfig cannot be read \(ERROR: failed to get cluster internal kubeconfig/);
    assert.equal(destroy(env).status, 0);
});

test("delete removes the cluster and our three entries only; a second delete says kind has no such cluster", { skip }, () => {
    const original = userKubeconfig();
    const { name, env } = cluster();
    assert.equal(create(env).status, 0);
    const result = destroy(env);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
        host.nodes().filter((n) => n.startsWith(name)),
        [],
    );
    assert.deepEqual(foreign(parse(readFileSync(host.kubeconfig, "utf8"))), foreign(parse(original)));
    assert.deepEqual([names("clusters"), names("contexts"), names("users")], [["prod"], ["prod", "prod-eks"], ["alice", "eks"]]);
    assert.equal(kubeconfigJson()["current-context"], "prod");
    const again = destroy(env);
    assert.equal(again.status, 0);
    assert.match(again.stderr, new RegExp(`kind reports no cluster ${name}: already gone`));
});

test("Docker down: create and delete fail with kind's own message; state and kubeconfig untouched", { skip }, () => {
    const original = userKubeconfig();
    const { name, env } = cluster();
    assert.equal(create(env).status, 0);
    const withOurs = readFileSync(host.kubeconfig, "utf8");
    const down = { ...env, DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    for (const run of [destroy, create]) {
        const result = run(down);
        assert.equal(result.status, 1);
        assert.match(
            result.stderr,
            /`kind get clusters` failed \(exit 1\): ERROR: failed to list clusters: .*\n.*Cannot connect to the Docker daemon/s,
        );
    }
    assert.equal(readFileSync(host.kubeconfig, "utf8"), withOurs);
    assert.deepEqual(
        host.nodes().filter((n) => n.startsWith(name)),
        [`${name}-control-plane`],
        "the cluster still runs",
    );
    assert.equal(destroy(env).status, 0);
    assert.deepEqual(foreign(parse(readFileSync(host.kubeconfig, "utf8"))), foreign(parse(original)));
});

test("a config kind rejects fails with kind's message before any container is made", { skip }, () => {
    const { name, env } = cluster();
    const bad = kindConfigYaml(kindCluster(1), host.image).replace("networking:", "networking:\n  podCIDR: 10.0.0.0/16");
    const rejected = create({ ...env, KIND_CONFIG: bad });
    assert.equal(rejected.status, 1);
    assert.match(rejected.stderr, /unable to decode config.*field podCIDR not found in type v1alpha4\.Networking/s);
    assert.deepEqual(
        host.nodes().filter((n) => n.startsWith(name)),
        [],
    );
});

test("pod or service subnets that overlap the docker network fail before anything is made", { skip }, () => {
    const network = `${PREFIX}-clash`;
    docker("network", "create", "--subnet", "10.1.0.0/16", network);
    try {
        const { name, env } = cluster(1, { KIND_EXPERIMENTAL_DOCKER_NETWORK: network });
        const result = create(env);
        assert.equal(result.status, 1);
        assert.match(
            result.stderr,
            /service subnet 10\.1\.0\.0\/16 overlaps the docker network's subnet 10\.1\.0\.0\/16 \(docker network istio-mc-test-\d+-clash\)/,
        );
        assert.equal(kindCreates(name), 0);
    } finally {
        docker("network", "rm", network);
    }
});

test("a lock left by a killed run is taken over; one held by a live run is waited for", { skip }, async () => {
    userKubeconfig();
    const holder = spawn("sleep", ["1.5"]);
    writeFileSync(`${host.kubeconfig}.lock`, `istio-multicluster pid=${holder.pid}\n`);
    const { env } = cluster();
    const started = Date.now();
    const result = create(env);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(Date.now() - started >= 1000, "waited while the holder lived");
    assert.match(result.stderr, new RegExp(`taking over .*config\\.lock: its owner \\(pid ${holder.pid}\\) is gone`));
    assert.ok(!existsSync(`${host.kubeconfig}.lock`));
    assert.equal(destroy(env).status, 0);
});

test("parallel creates of three clusters all land in one kubeconfig", { skip }, async () => {
    userKubeconfig();
    const clusters = [1, 2, 3].map((i) => cluster(i));
    const results = await Promise.all(
        clusters.map(
            ({ env }) =>
                new Promise<number>((resolve) => {
                    const child = spawn("sh", ["-c", `${SCRIPT} create`], {
                        cwd: path.join(__dirname, ".."),
                        env: { ...host.env, ...env },
                        stdio: "ignore",
                    });
                    child.on("exit", (code) => resolve(code ?? -1));
                }),
        ),
    );
    assert.deepEqual(results, [0, 0, 0]);
    assert.deepEqual(names("contexts"), [...clusters.map((c) => c.name), "prod", "prod-eks"].sort());
    for (const { env } of clusters) assert.equal(destroy(env).status, 0);
    assert.deepEqual(names("contexts"), ["prod", "prod-eks"]);
});

test("kubeconfig prints the admin kubeconfig that kind reads from the node", { skip }, () => {
    const { name, env } = cluster();
    assert.equal(create(env).status, 0);
    const result = host.command(`${SCRIPT} kubeconfig`, env);
    assert.equal(result.status, 0, result.stderr);
    const config = parse(result.stdout);
    assert.equal(config.contexts[0].name, `kind-${name}`);
    assert.match(config.clusters[0].cluster.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(destroy(env).status, 0);
    const gone = host.command(`${SCRIPT} kubeconfig`, env);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /`kind get kubeconfig --name .*` failed \(exit 1\): ERROR: could not locate any control plane nodes/);
});

test("preflight names a pod or service subnet that overlaps the existing kind network, before anything is created", { skip }, () => {
    const network = `${PREFIX}-preflight`;
    docker("network", "create", "--subnet", "10.102.0.0/16", network);
    try {
        const proc = path.join(host.dir, "proc");
        for (const [file, value] of [
            ["max_user_watches", "524288"],
            ["max_user_instances", "512"],
        ]) {
            mkdirSync(path.join(proc, "sys/fs/inotify"), { recursive: true });
            writeFileSync(path.join(proc, "sys/fs/inotify", file), `${value}\n`);
        }
        const env = { ...host.env, KIND_EXPERIMENTAL_DOCKER_NETWORK: network };
        assert.throws(
            () => kindPreflight(3, { env, procRoot: proc, platform: "linux" }),
            (error: Error) => {
                assert.ok(error instanceof PreflightError);
                assert.deepEqual(error.problems, [
                    `istio-2 pod subnet 10.102.0.0/16 overlaps the docker network's subnet 10.102.0.0/16 (docker network ${network}): recreate that network on another subnet, or fewer clusters.`,
                ]);
                return true;
            },
        );
        assert.doesNotThrow(() => kindPreflight(1, { env, procRoot: proc, platform: "linux" }));
    } finally {
        docker("network", "rm", network);
    }
});
