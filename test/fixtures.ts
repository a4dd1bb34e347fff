// Validators built from the real upstream data in ../shared/fixtures: chart values files and
// schemas, kind's config schema, and the CRDs' OpenAPI schemas.
import Ajv, { ValidateFunction } from "ajv";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse, parseAllDocuments } from "yaml";

// The workplace keeps shared/ beside the repository; FIXTURES_DIR points elsewhere.
const FIXTURES = process.env.FIXTURES_DIR ?? path.join(__dirname, "..", "..", "shared", "fixtures");
const fixture = (...parts: string[]) => {
    if (!existsSync(FIXTURES)) throw new Error(`upstream fixtures not found at ${FIXTURES}: set FIXTURES_DIR to shared/fixtures`);
    return readFileSync(path.join(FIXTURES, ...parts), "utf8");
};

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

let kindValidator: ValidateFunction | undefined;
export function kindConfigErrors(config: unknown): string[] {
    kindValidator ??= compile(JSON.parse(fixture("kind-v1alpha4", "cluster.schema.json")));
    return check(kindValidator, config);
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
