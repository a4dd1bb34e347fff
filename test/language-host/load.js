// Loads a TypeScript program the way the Node.js language host does (@pulumi/pulumi cmd/run):
// the SDK's own ts-node registration, with the project's tsconfig.json and TypeScript,
// type-checking unless tsconfig says noCheck, and CommonJS emit. tsx/esbuild rename locals
// that shadow `exports`; this path does not, so a program that crashes under `pulumi up`
// crashes here too. Runs under the recording mocks of test/harness.ts and prints one JSON
// line per config: {"ok":true,"types":{type: count}} or {"ok":false,"error":"..."}.
//   node test/language-host/load.js [PROGRAM.ts]
// LOAD_CONFIGS is a JSON list of config maps (keys without the project prefix), each laid over
// Pulumi.yaml's defaults as the CLI merges them; the program is loaded once
// per map (one compile).
"use strict";
const path = require("path");

const root = path.resolve(__dirname, "..", "..");
process.chdir(root); // the language host runs the program from the project folder
const program = path.resolve(process.argv[2] ?? "index.ts");
process.env.PULUMI_NODEJS_TYPESCRIPT = "true";

const tsutils = require("@pulumi/pulumi/tsutils");
const compilerOptions = tsutils.loadTypeScriptCompilerOptions("tsconfig.json");
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ? process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true" : compilerOptions.noCheck,
    project: "tsconfig.json",
    skipProject: false,
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
});

const pulumi = require("@pulumi/pulumi");
const { record } = require("../harness.ts");
const { stackConfig } = require("../../scripts/stack-config.ts");

async function load(overrides) {
    pulumi.runtime.setAllConfig(stackConfig(overrides));
    delete require.cache[program];
    try {
        const { graph } = await record(() => require(program));
        const types = {};
        for (const r of graph.resources) types[r.type] = (types[r.type] ?? 0) + 1;
        return { ok: true, types };
    } catch (error) {
        return { ok: false, error: `${error?.name ?? "Error"}: ${error?.message ?? error}` };
    }
}

(async () => {
    for (const overrides of JSON.parse(process.env.LOAD_CONFIGS ?? "[{}]")) {
        const result = await load(overrides);
        process.stdout.write(JSON.stringify(result) + "\n");
        if (!result.ok) process.exitCode = 1;
    }
})();
