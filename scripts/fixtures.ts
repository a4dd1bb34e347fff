// Upstream chart data for the tests: values, schemas and CRDs of the exact chart versions the
// program installs, from their official pinned sources, verified against digests kept here.
//
//   npm run fixtures     fill the cache (~/.cache/istio-multicluster/fixtures) from the network
//
// Where the files come from, first match wins, each checked against its digest:
//   1. FIXTURES_DIR, or the folder `shared/fixtures` beside this checkout (an offline seed),
//   2. the cache, 3. the network (`npm run fixtures` only; CHART_MIRROR: see scripts/charts.ts).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { DEFAULTS } from "../components/config";
import { chartArchiveUrl, download, viaMirror } from "./charts";

type Source =
    { chart: { repo: string; name: string; version: string }; member: string; transform?: (text: string) => string } | { url: string };

export interface Fixture {
    /** Path below the fixtures folder. */
    file: string;
    sha256: string;
    source: Source;
}

const ISTIO = DEFAULTS.istioVersion;
const METALLB = DEFAULTS.metallbVersion;
// The Gateway API CRDs (v1.6.0, experimental) as Istio's own integration tests install them.
const ISTIO_COMMIT = "a8d7012191ebf42bacd48fa72b32a05828e4c564";
const istio = (chart: string, member: string) => ({
    chart: { repo: DEFAULTS.istioChartRepo, name: chart, version: ISTIO },
    member: `${chart}/${member}`,
});
const metallb = (member: string, transform?: (text: string) => string) => ({
    chart: { repo: DEFAULTS.metallbChartRepo, name: "metallb", version: METALLB },
    member: `metallb/${member}`,
    transform,
});

export const FIXTURES: Fixture[] = [
    {
        file: "istio-1.31/base.values.yaml",
        sha256: "f92dd6226e623b340ead3a2762548a1d629a9fe2ae11a457205193aa10cb6ac6",
        source: istio("base", "values.yaml"),
    },
    {
        file: "istio-1.31/crd-all.gen.yaml",
        sha256: "c0ad59e008658765412badb836e73a523a355e3d792a32ad3c0711a728be5aff",
        source: istio("base", "files/crd-all.gen.yaml"),
    },
    {
        file: "istio-1.31/istiod.values.yaml",
        sha256: "d6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1",
        source: istio("istiod", "values.yaml"),
    },
    {
        file: "istio-1.31/gateway.values.yaml",
        sha256: "d42c4a0b692d5b39abd36021a5144891e5f139bffba690ec9749f700d898eb03",
        source: istio("gateway", "values.yaml"),
    },
    {
        file: "istio-1.31/gateway.values.schema.json",
        sha256: "a0e4ef9777d3a2ad99cd4099099d44fdae9bdd2b97a6e074262a0def0eae758e",
        source: istio("gateway", "values.schema.json"),
    },
    {
        file: "istio-1.31/gateway-api-crd.yaml",
        sha256: "69cafccdf88128d84b9b3251f629db4003a46d69bf38c431aab6124fdf55ef92",
        source: {
            url: `https://raw.githubusercontent.com/istio/istio/${ISTIO_COMMIT}/tests/integration/pilot/testdata/gateway-api-crd.yaml`,
        },
    },
    {
        file: "metallb-0.16.1/values.yaml",
        sha256: "84cb6ed418c19b05fc6930d3087262a74a01ac7bc85f5f67775cb67b6f3cdd5d",
        source: metallb("values.yaml"),
    },
    {
        file: "metallb-0.16.1/values.schema.json",
        sha256: "27ce6fee417e6fb8ca5cad444a457ce55997fbda5bd670aa49cef4876f235e75",
        source: metallb("values.schema.json"),
    },
    {
        file: "metallb-0.16.1/crds.yaml",
        sha256: "c6ac7f4c5fa3822f6c9232fabd256838139fd5daae876e46b1402ac2c1e4fc54",
        // The chart's CRDs have one template expression, the conversion webhook's namespace.
        source: metallb("charts/crds/templates/crds.yaml", (text) => text.replace(/\{\{[^}]*\}\}/g, "metallb-system")),
    },
];

const ROOT = path.join(__dirname, "..");
const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

export function seedDirs(env: NodeJS.ProcessEnv = process.env): string[] {
    return env.FIXTURES_DIR ? [env.FIXTURES_DIR] : [path.join(ROOT, "..", "shared", "fixtures")];
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), ".cache"), "istio-multicluster", "fixtures");
}

export class FixtureDigestError extends Error {}

/** The path of a verified copy of `file`, or undefined when none is there. A wrong copy is an error. */
export function locate(file: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    const fixture = FIXTURES.find((f) => f.file === file);
    if (!fixture) throw new Error(`${file} is not an upstream fixture of this project (scripts/fixtures.ts)`);
    for (const dir of [...seedDirs(env), cacheDir(env)]) {
        const candidate = path.join(dir, file);
        if (!existsSync(candidate)) continue;
        const actual = sha256(readFileSync(candidate));
        if (actual !== fixture.sha256) {
            throw new FixtureDigestError(`${candidate} has sha256 ${actual}, expected ${fixture.sha256}: not the pinned upstream file`);
        }
        return candidate;
    }
    return undefined;
}

/** Downloads what is missing into the cache; returns a line per file. */
export async function fetchFixtures(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
    const lines: string[] = [];
    const archives = new Map<string, Promise<string>>(); // chart archive URL -> extracted folder
    const work = mkdtempSync(path.join(tmpdir(), "istio-mc-fixtures-"));
    try {
        for (const fixture of FIXTURES) {
            const found = locate(fixture.file, env);
            if (found) {
                lines.push(`${fixture.file}: ok (${found})`);
                continue;
            }
            let text: string;
            if ("url" in fixture.source) {
                text = (await download(viaMirror(fixture.source.url, env))).toString("utf8");
            } else {
                const { chart, member, transform } = fixture.source;
                const url = await chartArchiveUrl(chart, env);
                if (!url) throw new Error(`chart ${chart.name} ${chart.version} is not in ${chart.repo}/index.yaml`);
                if (!archives.has(url)) {
                    archives.set(
                        url,
                        download(url).then((archive) => {
                            const dir = mkdtempSync(path.join(work, "chart-"));
                            writeFileSync(path.join(dir, "chart.tgz"), archive);
                            const untar = spawnSync("tar", ["-xzf", "chart.tgz"], { cwd: dir, encoding: "utf8" });
                            if (untar.status !== 0) throw new Error(`${url} is not a chart archive: ${untar.stderr}`);
                            return dir;
                        }),
                    );
                }
                const dir = await archives.get(url)!;
                if (!existsSync(path.join(dir, member))) throw new Error(`${url} has no ${member}`);
                text = readFileSync(path.join(dir, member), "utf8");
                if (transform) text = transform(text);
            }
            const actual = sha256(text);
            if (actual !== fixture.sha256) {
                throw new FixtureDigestError(
                    `${fixture.file} from upstream has sha256 ${actual}, expected ${fixture.sha256}: nothing was cached`,
                );
            }
            const target = path.join(cacheDir(env), fixture.file);
            mkdirSync(path.dirname(target), { recursive: true });
            writeFileSync(`${target}.partial`, text);
            renameSync(`${target}.partial`, target);
            lines.push(`${fixture.file}: downloaded (${target})`);
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
    return lines;
}

if (require.main === module) {
    fetchFixtures().then(
        (lines) => console.log(lines.join("\n")),
        (error) => {
            console.error(`npm run fixtures: ${error instanceof Error ? error.message : error}`);
            process.exitCode = 1;
        },
    );
}
