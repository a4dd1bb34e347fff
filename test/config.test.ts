import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CLUSTERS, carvePool, cidrsOverlap } from "../components/address-plan";
import { DEFAULTS, ConfigError } from "../components/config";
import { configFrom } from "./harness";

test("defaults: three kind clusters of the lab, Istio 1.31.1, mesh1, endpoint discovery", () => {
    const config = configFrom();
    assert.equal(config.provisioner, "kind");
    assert.equal(config.istioVersion, "1.31.1");
    assert.equal(config.istioHub, "docker.io/istio");
    assert.equal(config.meshId, "mesh1");
    assert.equal(config.kindNodeImage, DEFAULTS.kindNodeImage);
    assert.match(config.kindNodeImage, /^kindest\/node:v1\.36\.4@sha256:099e0493/);
    assert.equal(config.metallbVersion, "0.16.1");
    assert.equal(config.sampleApps, true);
    assert.equal(config.discovery, "endpoint");
    assert.equal(config.preloadImages, true);
    assert.deepEqual(config.pki, {
        keyAlgorithm: "RSA",
        rootValidityHours: 87600,
        intermediateValidityHours: 8760,
        intermediateEarlyRenewalHours: 720,
    });
    assert.deepEqual(
        config.clusters.map((c) => [c.context, c.clusterName, c.network, c.kind?.serviceSubnet, c.kind?.podSubnet]),
        [
            ["istio-1", "cluster1", "network1", "10.1.0.0/16", "10.101.0.0/16"],
            ["istio-2", "cluster2", "network2", "10.2.0.0/16", "10.102.0.0/16"],
            ["istio-3", "cluster3", "network3", "10.3.0.0/16", "10.103.0.0/16"],
        ],
    );
});

const overlaps = cidrsOverlap;

for (const count of [1, 3, MAX_CLUSTERS]) {
    test(`N = ${count}: names, networks, subnets and pools are derived from i and never overlap`, () => {
        const config = configFrom({ clusterCount: String(count) });
        assert.equal(config.clusters.length, count);
        const subnets = config.clusters.flatMap((c) => [c.kind!.serviceSubnet, c.kind!.podSubnet]);
        for (let a = 0; a < subnets.length; a++) {
            assert.doesNotMatch(subnets[a], /\.0\d/, "no leading zeros");
            for (let b = a + 1; b < subnets.length; b++) assert.ok(!overlaps(subnets[a], subnets[b]), `${subnets[a]} vs ${subnets[b]}`);
        }
        assert.equal(new Set(config.clusters.map((c) => c.network)).size, count, "one network per cluster");
        const pools = config.clusters.map((c) => carvePool("172.18.0.0/16", c.index));
        for (let a = 0; a < pools.length; a++) {
            for (let b = a + 1; b < pools.length; b++) {
                assert.ok(pools[a].last < pools[b].first || pools[b].last < pools[a].first, "pools overlap");
            }
        }
        const last = config.clusters[count - 1];
        assert.equal(last.context, `istio-${count}`);
        assert.equal(last.clusterName, `cluster${count}`);
        assert.equal(last.network, `network${count}`);
    });
}

const BAD: [string, Record<string, string>, RegExp][] = [
    ["clusterCount 0", { clusterCount: "0" }, /istio-multicluster:clusterCount = "0": must be a whole number from 1 to 16/],
    ["clusterCount -1", { clusterCount: "-1" }, /clusterCount = "-1": must be a whole number from 1 to 16/],
    ["clusterCount 2.5", { clusterCount: "2.5" }, /clusterCount = "2.5": must be a whole number from 1 to 16/],
    ["clusterCount abc", { clusterCount: "abc" }, /clusterCount = "abc": must be a whole number from 1 to 16/],
    ["clusterCount above the bound", { clusterCount: "17" }, /clusterCount = "17": must be a whole number from 1 to 16/],
    ["empty istioVersion", { istioVersion: "" }, /istioVersion = "": must be a release version such as 1.31.1/],
    ["istioVersion with v", { istioVersion: "v1.31.1" }, /istioVersion = "v1.31.1"/],
    [
        "kindNodeImage without tag or digest",
        { kindNodeImage: "kindest/node" },
        /kindNodeImage = "kindest\/node": must be an image reference with a tag or digest/,
    ],
    ["kindNodeImage with a bad digest", { kindNodeImage: "kindest/node:v1.36.4@sha256:abc" }, /kindNodeImage = /],
    ["kindNodeImage with spaces", { kindNodeImage: "kindest/node: v1" }, /kindNodeImage = /],
    ["meshId upper case", { meshId: "Mesh1" }, /meshId = "Mesh1": must be a DNS label/],
    ["sampleApps not a boolean", { sampleApps: "yes" }, /sampleApps = "yes": must be true or false/],
    ["unknown provisioner", { provisioner: "eks" }, /provisioner = "eks": must be one of kind, existing/],
    ["unknown discovery", { discovery: "dns" }, /discovery = "dns": must be one of endpoint, federated/],
    ["caKeyAlgorithm", { caKeyAlgorithm: "DSA" }, /caKeyAlgorithm = "DSA": must be one of RSA, ECDSA/],
    ...[
        "ftp://charts.example.com",
        "https://user:secret@charts.example.com/istio",
        "oci://ghcr.io",
        "charts.example.com",
        "https://x/?a=1",
    ].map((repo): [string, Record<string, string>, RegExp] => [
        `istioChartRepo ${repo}`,
        { istioChartRepo: repo },
        new RegExp(
            `istioChartRepo = "${repo.replace(/[.?/]/g, "\\$&")}": must be the URL of a Helm chart repository, http\\(s\\)://host/path, or an OCI registry path, oci://host/path, without credentials\\.$`,
        ),
    ]),
    ["metallbChartRepo", { metallbChartRepo: "metallb" }, /metallbChartRepo = "metallb": must be the URL of a Helm chart repository/],
    [
        "a gone that is not true or false",
        { provisioner: "existing", clusters: JSON.stringify([{ context: "a", apiServer: "https://10.0.0.1:6443", gone: "maybe" }]) },
        /clusters\[0\]\.gone = "maybe": must be true \(the cluster cannot be reached any more, or is to be left as it is\) or false/,
    ],
    [
        "early renewal not below validity",
        { intermediateCaValidityHours: "100", intermediateCaEarlyRenewalHours: "100" },
        /intermediateCaEarlyRenewalHours = "100": must be a whole number from 0 to 99/,
    ],
];

for (const [name, values, message] of BAD) {
    test(`bad config fails with a clear message: ${name}`, () => {
        assert.throws(
            () => configFrom(values),
            (error: Error) => {
                assert.ok(error instanceof ConfigError);
                assert.match(error.message, message);
                return true;
            },
        );
    });
}

test("chart repositories: https, http and oci:// are taken as given (a trailing / dropped); gone takes a boolean or its string", () => {
    assert.equal(configFrom().istioChartRepo, "https://blob.istio.io/istio-release/charts");
    assert.equal(configFrom().metallbChartRepo, "https://metallb.github.io/metallb");
    for (const repo of ["https://charts.example.com/istio", "http://127.0.0.1:8080", "oci://ghcr.io/istio/release/charts"]) {
        assert.equal(configFrom({ istioChartRepo: `${repo}/` }).istioChartRepo, repo);
    }
    const cluster = (gone: unknown) =>
        configFrom({ provisioner: "existing", clusters: JSON.stringify([{ context: "a", apiServer: "https://10.0.0.1:6443", gone }]) })
            .clusters[0].gone;
    assert.equal(cluster(true), true);
    assert.equal(cluster("true"), true);
    assert.equal(cluster(false), undefined);
    assert.equal(cluster("false"), undefined);
});

test("other valid node images are accepted", () => {
    for (const image of ["kindest/node:v1.35.0", "registry.local:5000/kind/node@sha256:" + "a".repeat(64), "ghcr.io/x/node:v1.36.4"]) {
        assert.equal(configFrom({ kindNodeImage: image }).kindNodeImage, image);
    }
});

test("ECDSA keys and custom validity are accepted", () => {
    const config = configFrom({ caKeyAlgorithm: "ECDSA", intermediateCaValidityHours: "720", intermediateCaEarlyRenewalHours: "48" });
    assert.equal(config.pki.keyAlgorithm, "ECDSA");
    assert.equal(config.pki.intermediateValidityHours, 720);
});
