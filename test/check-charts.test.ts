// npm run check-charts: the chart versions the program installs, looked up in their repositories'
// index (served here from 127.0.0.1 in the repositories' layout).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { loopbackServer } from "./loopback-server";

const ROOT = path.join(__dirname, "..");
let server: { url: string; close: () => void };
let mirror: string;
const INDEXES: Record<string, object> = {
    "/blob.istio.io/istio-release/charts/index.yaml": {
        entries: Object.fromEntries(
            ["base", "istiod", "gateway"].map((c) => [
                c,
                [
                    { version: "1.31.1", urls: [`${c}-1.31.1.tgz`] },
                    { version: "1.30.2", urls: [`${c}-1.30.2.tgz`] },
                ],
            ]),
        ),
    },
    "/metallb.github.io/metallb/index.yaml": {
        entries: {
            metallb: [
                {
                    version: "0.16.1",
                    urls: ["https://github.com/metallb/metallb/releases/download/metallb-chart-0.16.1/metallb-0.16.1.tgz"],
                },
            ],
        },
    },
};

before(async () => {
    server = await loopbackServer((req, res) => {
        const index = INDEXES[req.url ?? ""];
        res.writeHead(index ? 200 : 404).end(index ? stringify({ apiVersion: "v1", ...index }) : undefined);
    });
    mirror = server.url;
});
after(() => server?.close());

function checkCharts(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "scripts/check-charts.ts", ...args], {
            cwd: ROOT,
            env: { ...process.env, NODE_OPTIONS: "", CHART_MIRROR: mirror },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("exit", (code) => resolve({ status: code ?? -1, stdout, stderr }));
    });
}

test("every chart version of the default config exists: exit 0, each with its archive", async () => {
    const result = await checkCharts();
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^ok {6}istiod 1\.31\.1 in https:\/\/blob\.istio\.io\/istio-release\/charts \(.*istiod-1\.31\.1\.tgz\)$/m);
    assert.match(result.stdout, /^ok {6}metallb 0\.16\.1 in https:\/\/metallb\.github\.io\/metallb/m);
    assert.match(result.stdout, /^all 4 charts exist$/m);
});

test("a version the repository does not have is named, and the check fails", async () => {
    const result = await checkCharts("--config", "istioVersion=1.31.9");
    assert.equal(result.status, 1);
    for (const chart of ["base", "istiod", "gateway"])
        assert.match(result.stdout, new RegExp(`^MISSING ${chart} 1\\.31\\.9 in https://blob\\.istio\\.io/istio-release/charts$`, "m"));
    assert.match(result.stdout, /^3 of 4 charts do not exist in their repository$/m);
    // A canary of a version the repository does not have: its istiod, and istio-base (the newer version).
    const canary = await checkCharts("--config", "istioCanary=1.31.9");
    assert.equal(canary.status, 1);
    assert.match(canary.stdout, /^ok {6}istiod 1\.31\.1 in /m);
    assert.match(canary.stdout, /^MISSING istiod 1\.31\.9 in /m);
    assert.match(canary.stdout, /^MISSING base 1\.31\.9 in /m);
    assert.match(canary.stdout, /^2 of 5 charts do not exist in their repository$/m);
});
