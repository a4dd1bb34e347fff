// The program loads the way `pulumi up` loads it: through the Node.js language host's own
// ts-node path (test/language-host/load.js), not tsx. Also closes the class of bug that crashed
// it there: no identifier may shadow a CommonJS module variable.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { record } from "./harness";
import { stackConfig } from "../scripts/stack-config";

const ROOT = path.join(__dirname, "..");
const LOADER = path.join(__dirname, "language-host", "load.js");
const COMMONJS = new Set(["exports", "module", "require", "__filename", "__dirname"]);

const EXISTING = {
    provisioner: "existing",
    preflight: false,
    clusters: [
        { context: "east", apiServer: "https://10.0.0.1:6443", loadBalancer: "metallb", metallbRange: "10.0.10.0/28" },
        { context: "west", apiServer: "https://api.west.example.com:443", gatewayAddress: "198.51.100.7" },
    ],
};
const CONFIGS: Record<string, Record<string, unknown>> = {
    "kind, endpoint (the dev stack)": { preflight: false },
    "kind, federated": { preflight: false, discovery: "federated" },
    "existing, endpoint": EXISTING,
    "existing, federated": { ...EXISTING, discovery: "federated" },
};

function loadLikeLanguageHost(configs: Record<string, unknown>[], program?: string) {
    const result = spawnSync(process.execPath, [LOADER, ...(program ? [program] : [])], {
        cwd: ROOT,
        encoding: "utf8",
        // No tsx here: NODE_OPTIONS from the test runner would bring it back in.
        env: { ...process.env, NODE_OPTIONS: "", LOAD_CONFIGS: JSON.stringify(configs) },
        timeout: 240_000,
    });
    const lines = result.stdout.trim().split("\n").filter(Boolean);
    assert.equal(lines.length, configs.length, `one result per config; stderr: ${result.stderr}`);
    return lines.map((line) => JSON.parse(line));
}

async function typesUnderTsx(overrides: Record<string, unknown>) {
    pulumi.runtime.setAllConfig(stackConfig(overrides));
    const file = require.resolve("../index");
    delete require.cache[file];
    const { graph } = await record(() => require("../index"));
    const types: Record<string, number> = {};
    for (const r of graph.resources) types[r.type] = (types[r.type] ?? 0) + 1;
    return types;
}

test("index.ts loads through the language host's ts-node path for both provisioners and both discovery modes, declaring what the mock tests declare", async () => {
    const names = Object.keys(CONFIGS);
    const results = loadLikeLanguageHost(Object.values(CONFIGS));
    for (const [k, name] of names.entries()) {
        assert.equal(results[k].ok, true, `${name}: ${results[k].error}`);
        assert.deepEqual(results[k].types, await typesUnderTsx(CONFIGS[name]), `${name}: same resources as under tsx`);
    }
    assert.equal(results[0].types["istio-multicluster:index:KindCluster"], 3);
    assert.equal(results[2].types["istio-multicluster:index:ExistingCluster"], 2);
    assert.equal(results[1].types["kubernetes:networking.istio.io/v1:WorkloadEntry"] > 0, true);
});

test("the loader catches what tsx hides: a local named `exports` crashes the program as under `pulumi up`", () => {
    const dir = mkdtempSync(path.join(ROOT, ".test-shadow-"));
    try {
        const program = path.join(dir, "program.ts");
        writeFileSync(
            program,
            "export const DEFAULTS = { n: 1 };\nexport function f() {\n    const exports = [DEFAULTS.n];\n    return exports;\n}\nf();\n",
        );
        const [result] = loadLikeLanguageHost([{}], program);
        assert.deepEqual(result, { ok: false, error: "ReferenceError: Cannot access 'exports' before initialization" });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

function projectSources(dir = ROOT): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        if (entry.name === "node_modules" || entry.name.startsWith(".")) return [];
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return projectSources(full);
        return /\.(ts|js|mjs)$/.test(entry.name) ? [full] : [];
    });
}

/** Names that a file declares (variables, parameters, functions, classes, imports) and that shadow CommonJS. */
function commonJsShadows(file: string, text = readFileSync(file, "utf8")): string[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const found: string[] = [];
    const visit = (node: ts.Node) => {
        const name = (node as { name?: ts.Node }).name;
        const declares =
            ts.isVariableDeclaration(node) ||
            ts.isParameter(node) ||
            ts.isBindingElement(node) ||
            ts.isFunctionDeclaration(node) ||
            ts.isClassDeclaration(node) ||
            ts.isImportSpecifier(node) ||
            ts.isImportClause(node) ||
            ts.isNamespaceImport(node) ||
            ts.isImportEqualsDeclaration(node);
        if (declares && name && ts.isIdentifier(name) && COMMONJS.has(name.text)) {
            const { line } = source.getLineAndCharacterOfPosition(name.getStart());
            found.push(`${path.relative(ROOT, file)}:${line + 1} declares \`${name.text}\``);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

test("no identifier anywhere in the project shadows a CommonJS module variable (exports, module, require, __filename, __dirname)", () => {
    const files = projectSources();
    assert.ok(files.length > 40, "scanned the project's sources");
    assert.deepEqual(
        files.flatMap((file) => commonJsShadows(file)),
        [],
    );
    const planted = commonJsShadows(path.join(ROOT, "x.ts"), "function f(module: number) {\n    const { exports } = g();\n}\n");
    assert.deepEqual(planted, ["x.ts:1 declares `module`", "x.ts:2 declares `exports`"], "the scan sees parameters and destructuring");
});
