// `npm run fixtures` the way a maintainer's machine runs it: chart look-up in the repository's
// index, chart archive download, extraction, digest check, cache. The "network" is a server on
// 127.0.0.1 that serves chart archives built from the offline seed in the upstream layout.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { FIXTURES, FixtureDigestError, cacheDir, fetchFixtures, locate } from "../scripts/fixtures";
import { UPSTREAM_SKIP } from "./fixtures";
import { loopbackServer } from "./loopback-server";
import { tempDir } from "./temp";

let dir: string;
let server: { url: string; close: () => void };
let mirror: string;
const served = new Map<string, Buffer>(); // path -> body
const requests: string[] = [];

/** Builds what the official sources serve, from the verified seed files. */
function publish(tamper = false): void {
    served.clear();
    const charts = new Map<string, { repo: string; name: string; version: string; files: [string, string][] }>();
    for (const fixture of FIXTURES) {
        let text = readFileSync(locate(fixture.file)!, "utf8");
        if ("url" in fixture.source) {
            const { host, pathname } = new URL(fixture.source.url);
            served.set(`/${host}${pathname}`, Buffer.from(text));
            continue;
        }
        const { chart, member } = fixture.source;
        // The seed's MetalLB CRDs had their one template expression filled in: put it back.
        if (fixture.file.endsWith("metallb-0.16.1/crds.yaml"))
            text = text.replace(/namespace: metallb-system/, "namespace: {{ .Release.Namespace }}");
        if (tamper && member.endsWith("istiod/values.yaml")) text += "\n# changed\n";
        const key = `${chart.repo}|${chart.name}`;
        if (!charts.has(key)) charts.set(key, { ...chart, files: [] });
        charts.get(key)!.files.push([member, text]);
    }
    const indexes = new Map<string, Record<string, unknown[]>>();
    for (const chart of charts.values()) {
        const build = mkdtempSync(path.join(dir, "chart-"));
        for (const [member, text] of chart.files) {
            mkdirSync(path.dirname(path.join(build, member)), { recursive: true });
            writeFileSync(path.join(build, member), text);
        }
        const archive = path.join(build, "chart.tgz");
        assert.equal(spawnSync("tar", ["-czf", archive, chart.name], { cwd: build }).status, 0);
        const { host, pathname } = new URL(chart.repo);
        served.set(`/${host}${pathname}/${chart.name}-${chart.version}.tgz`, readFileSync(archive));
        const entries = indexes.get(chart.repo) ?? {};
        entries[chart.name] = [
            { version: "0.0.1", urls: ["old.tgz"] },
            { version: chart.version, urls: [`${chart.name}-${chart.version}.tgz`] },
        ];
        indexes.set(chart.repo, entries);
    }
    for (const [repo, entries] of indexes) {
        const { host, pathname } = new URL(repo);
        served.set(`/${host}${pathname}/index.yaml`, Buffer.from(stringify({ apiVersion: "v1", entries })));
    }
}

before(async () => {
    dir = tempDir("fixtures-test");
    server = await loopbackServer((req, res) => {
        requests.push(req.url ?? "");
        const body = served.get(req.url ?? "");
        res.writeHead(body ? 200 : 404).end(body);
    });
    mirror = server.url;
});
after(() => server?.close());

const envFor = (cache: string) => ({
    ...process.env,
    FIXTURES_DIR: path.join(dir, "no-seed"),
    XDG_CACHE_HOME: cache,
    CHART_MIRROR: mirror,
});

test(
    "no seed, empty cache: charts looked up in their repositories' index, downloaded once, verified, cached",
    { skip: UPSTREAM_SKIP },
    async () => {
        publish();
        const env = envFor(path.join(dir, "cache-1"));
        assert.equal(locate(FIXTURES[0].file, env), undefined, "nothing there yet");
        const lines = await fetchFixtures(env);
        assert.equal(lines.length, FIXTURES.length);
        assert.ok(
            lines.every((l) => l.includes(": downloaded (")),
            lines.join("\n"),
        );
        for (const fixture of FIXTURES) assert.equal(locate(fixture.file, env), path.join(cacheDir(env), fixture.file));
        const archives = requests.filter((r) => r.endsWith(".tgz"));
        assert.deepEqual(
            archives.sort(),
            [
                "/blob.istio.io/istio-release/charts/base-1.31.1.tgz",
                "/blob.istio.io/istio-release/charts/gateway-1.31.1.tgz",
                "/blob.istio.io/istio-release/charts/istiod-1.31.1.tgz",
                "/metallb.github.io/metallb/metallb-0.16.1.tgz",
            ],
            "each chart once, the pinned version",
        );

        requests.length = 0;
        assert.ok((await fetchFixtures(env)).every((l) => l.includes(": ok (")));
        assert.deepEqual(requests, [], "a second run downloads nothing");
    },
);

test("upstream content that does not match the pinned digest is refused and nothing is cached", { skip: UPSTREAM_SKIP }, async () => {
    publish(true);
    const env = envFor(path.join(dir, "cache-2"));
    await assert.rejects(fetchFixtures(env), (error: Error) => {
        assert.ok(error instanceof FixtureDigestError);
        assert.match(
            error.message,
            /^istio-1\.31\/istiod\.values\.yaml from upstream has sha256 [0-9a-f]{64}, expected d6b9d641.*: nothing was cached$/,
        );
        return true;
    });
    assert.ok(!existsSync(path.join(cacheDir(env), "istio-1.31", "istiod.values.yaml")));
});

test("a seed file that differs from the pinned one is an error naming it, not a silent pass", { skip: UPSTREAM_SKIP }, () => {
    const seed = path.join(dir, "seed");
    mkdirSync(path.join(seed, "istio-1.31"), { recursive: true });
    copyFileSync(locate("istio-1.31/base.values.yaml")!, path.join(seed, "istio-1.31", "base.values.yaml"));
    writeFileSync(path.join(seed, "istio-1.31", "base.values.yaml"), "\n", { flag: "a" });
    assert.throws(
        () => locate("istio-1.31/base.values.yaml", { ...process.env, FIXTURES_DIR: seed }),
        /base\.values\.yaml has sha256 [0-9a-f]{64}, expected f92dd622.*: not the pinned upstream file/,
    );
});
