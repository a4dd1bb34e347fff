// Validators built from the real upstream data (scripts/fixtures.ts): chart values files and
// schemas and the CRDs' OpenAPI schemas, each file verified against its pinned digest.
import Ajv, { ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";
import { FIXTURES, locate } from "../scripts/fixtures";

/** Why the upstream-data tests cannot run here, or undefined. In CI a missing file is a failure. */
function upstreamSkip(): string | undefined {
    const missing = FIXTURES.filter((f) => !locate(f.file)).map((f) => f.file);
    if (missing.length === 0) return undefined;
    const why = `upstream chart data missing (${missing.length} files, e.g. ${missing[0]}): run \`npm run fixtures\` once (downloads the pinned charts)`;
    if (process.env.CI === "true") throw new Error(`CI needs the upstream chart data: ${why}`);
    return why;
}
export const UPSTREAM_SKIP = upstreamSkip();
if (UPSTREAM_SKIP) console.log(`skipped: ${UPSTREAM_SKIP}`);

const fixture = (...parts: string[]) => readFileSync(locate(parts.join("/"))!, "utf8");

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

function compile(schema: Record<string, unknown>): ValidateFunction {
    const { $schema, $id, ...rest } = schema; // meta-schema URLs vary; the shape is what matters
    void $schema;
    void $id;
    return ajv.compile(rest);
}

function check(validate: ValidateFunction, value: unknown): string[] {
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}

let gatewayValidator: ValidateFunction | undefined;
export function gatewayValuesErrors(values: unknown): string[] {
    gatewayValidator ??= compile(JSON.parse(fixture("istio-1.31", "gateway.values.schema.json")));
    return check(gatewayValidator, deepMerge(parse(fixture("istio-1.31", "gateway.values.yaml")), values));
}

function deepMerge(base: any, over: any): any {
    if (over === null || typeof over !== "object" || Array.isArray(over)) return over;
    const merged: any = { ...(base && typeof base === "object" && !Array.isArray(base) ? base : {}) };
    for (const [k, v] of Object.entries(over)) merged[k] = deepMerge(merged[k], v);
    return merged;
}

let metallbValidator: ValidateFunction | undefined;
/** Helm validates the chart's defaults merged with the user's values. */
export function metallbValuesErrors(values: unknown): string[] {
    metallbValidator ??= compile(JSON.parse(fixture("metallb-0.16.1", "values.schema.json")));
    return check(metallbValidator, deepMerge(chartValues("metallb"), values));
}

const chartDefaults: Record<string, any> = {};
/** The defaults of an Istio chart (below _internal_defaults_do_not_set) or MetalLB's. */
export function chartValues(chart: "base" | "istiod" | "gateway" | "metallb"): any {
    if (!chartDefaults[chart]) {
        if (chart === "metallb") chartDefaults[chart] = parse(fixture("metallb-0.16.1", "values.yaml"));
        else chartDefaults[chart] = parse(fixture("istio-1.31", `${chart}.values.yaml`))._internal_defaults_do_not_set;
    }
    return chartDefaults[chart];
}

/**
 * Value paths we set that the chart does not have. A path is fine when every key exists in
 * the chart's defaults, or when it reaches a free-form map (a default of {} or null), or a
 * key listed in `freeForm` (e.g. meshConfig, which passes MeshConfig through).
 */
export function unknownValuePaths(values: any, defaults: any, freeForm: string[] = [], prefix = ""): string[] {
    const unknown: string[] = [];
    for (const [key, value] of Object.entries(values ?? {})) {
        const here = prefix ? `${prefix}.${key}` : key;
        if (freeForm.includes(here)) continue;
        if (defaults === null || typeof defaults !== "object" || Array.isArray(defaults)) {
            unknown.push(here);
            continue;
        }
        if (Object.keys(defaults).length === 0) continue; // a free-form map such as podAnnotations: {}
        if (!(key in defaults)) {
            unknown.push(here);
            continue;
        }
        const sub = defaults[key];
        if (value !== null && typeof value === "object" && !Array.isArray(value) && sub !== null && typeof sub === "object") {
            unknown.push(...unknownValuePaths(value, sub, freeForm, here));
        }
    }
    return unknown;
}

const crdValidators = new Map<string, ValidateFunction>();
function loadCrds(file: string): void {
    for (const doc of parseAllDocuments(fixture(...file.split("/")))) {
        const crd = doc.toJSON();
        if (crd?.kind !== "CustomResourceDefinition") continue;
        for (const version of crd.spec.versions) {
            const schema = version.schema?.openAPIV3Schema;
            if (!schema) continue;
            crdValidators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, compile(schema));
        }
    }
}

/** Errors of a custom resource against the openAPIV3Schema of its CRD version. */
export function customResourceErrors(object: { apiVersion: string; kind: string }): string[] {
    if (crdValidators.size === 0) {
        loadCrds("istio-1.31/crd-all.gen.yaml");
        loadCrds("istio-1.31/gateway-api-crd.yaml");
        loadCrds("metallb-0.16.1/crds.yaml");
    }
    const validate = crdValidators.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) return [`no CRD for ${object.apiVersion} ${object.kind}`];
    return check(validate, object);
}
