// Runs the program under Pulumi mocks and records every resource with its options
// (dependencies, parent, deletedWith, secret inputs), so tests can assert the graph.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as state from "@pulumi/pulumi/runtime/state";
import { MeshConfig, parseConfig } from "../components/config";
import { buildMesh, Mesh } from "../components/mesh";
import { READ_STACK_OUTPUTS } from "../components/revision-memory";
import { emulateTls } from "./tls-emulator";

// No test (and no plan) reads the user's kubeconfig: tests that need one set their own.
process.env.KUBECONFIG = "/nonexistent/istio-multicluster-test/kubeconfig";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface Recorded {
    type: string;
    name: string;
    urn: string;
    parent: string;
    custom: boolean;
    read: boolean;
    dependencies: string[];
    /** The URNs whose outputs its inputs take (dependencies without the dependsOn ordering). */
    inputDependencies: string[];
    deletedWith: string;
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    provider: string;
    /** Inputs with secret wrappers removed. */
    inputs: any;
    /** Inputs with every secret replaced by {"[secret]": a short digest}: safe to print. */
    redacted: any;
    /** Top-level input names that were secret. */
    secretInputs: string[];
    /** What the mock returned as outputs. */
    outputs: any;
}

function isSecret(value: any): boolean {
    return value !== null && typeof value === "object" && value[SIG_KEY] === SECRET_SIG;
}

export function redact(value: any): any {
    if (isSecret(value))
        return {
            "[secret]": createHash("sha256")
                .update(JSON.stringify(unwrap(value.value)) ?? "")
                .digest("hex")
                .slice(0, 12),
        };
    if (Array.isArray(value)) return value.map(redact);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
    return value;
}

export function unwrap(value: any): any {
    if (isSecret(value)) return unwrap(value.value);
    if (Array.isArray(value)) return value.map(unwrap);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

export interface MockOptions {
    /** Emulate @pulumi/tls with openssl, producing real keys and certificates. */
    realCerts?: boolean;
    /** Run as a preview (unknown outputs stay unknown). */
    preview?: boolean;
    /** The stack's outputs after its last update, as the program reads them back (readStackOutputs). */
    lastOutputs?: Record<string, unknown>;
    /** The DIY backend's legacy layout: stack names with a '/' are rejected, as tokens.ParseStackName does. */
    legacyLayout?: boolean;
}

/** The cluster a resource belongs to, from its provider's name: "<name>-provider::<id>". */
function clusterOfProvider(provider: string | undefined): string {
    const match = /::([^:]+)-provider::/.exec(provider ?? "");
    return match ? match[1] : "unknown";
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

async function mockOutputs(type: string, name: string, inputs: any, provider: string | undefined, options: MockOptions) {
    const plain = unwrap(inputs);
    if (type.startsWith("tls:")) {
        if (options.realCerts) return emulateTls(type, name, plain);
        if (type.endsWith("PrivateKey")) return { ...plain, privateKeyPem: `KEY(${name})`, publicKeyPem: `PUB(${name})` };
        if (type.endsWith("CertRequest")) return { ...plain, certRequestPem: `CSR(${name})` };
        return { ...plain, certPem: `CERT(${name})` };
    }
    switch (type) {
        case "command:local:Command": {
            const env = plain.environment ?? {};
            const create: string = plain.create ?? "";
            // .sh: the scripts of earlier releases, which `npm run plan-diff --base` evaluates too.
            if (/kind-cluster\.(ts|sh) create$/.test(create)) {
                const index = Number(/(\d+)$/.exec(env.KIND_CLUSTER_NAME)?.[1] ?? 0);
                const network = [{ Subnet: "fc00:f853:ccd:e793::/64" }, { Subnet: "172.18.0.0/16", Gateway: "172.18.0.1" }];
                return {
                    ...plain,
                    stdout: `Creating cluster...\n${JSON.stringify({ apiServer: `https://172.18.0.${index + 1}:6443`, network })}`,
                };
            }
            if (/kind-cluster\.(ts|sh) kubeconfig$/.test(create)) {
                return { ...plain, stdout: `apiVersion: v1\nkind: Config\n# admin credentials of ${env.KIND_CLUSTER_NAME}\n` };
            }
            if (create.endsWith("wait-object.cjs reader-token")) {
                const token = b64(`token:${env.CLUSTER}:${env.NAME}`);
                return { ...plain, stdout: JSON.stringify({ token, "ca.crt": b64(`ca-of-${env.CLUSTER}`) }) };
            }
            if (create.endsWith("wait-object.cjs gateway-address"))
                return { ...plain, stdout: `198.51.100.${/(\d+)$/.exec(env.CLUSTER)?.[1]}\n` };
            if (create.endsWith("images.ts save")) return { ...plain, stdout: "/cache/images-0123456789abcdef.tar\n" };
            return { ...plain, stdout: "ok" };
        }
        case "kubernetes:core/v1:Secret": {
            if (plain.type === "kubernetes.io/service-account-token") {
                const cluster = clusterOfProvider(provider);
                const reader = plain.metadata?.name;
                return { ...plain, data: { token: b64(`token:${cluster}:${reader}`), "ca.crt": b64(`ca-of-${cluster}`) } };
            }
            return plain;
        }
        case "pulumi:pulumi:StackReference": // how earlier releases read their last outputs (plan-diff --base)
            return { name: plain.name, outputs: options.lastOutputs ?? {}, secretOutputNames: [] };
        case "kubernetes:helm.sh/v3:Release":
            return { ...plain, status: { name: plain.name, namespace: plain.namespace, status: "deployed" } };
        case "kubernetes:core/v1:Service":
            return { ...plain, status: { loadBalancer: { ingress: [{ ip: `198.51.100.${name.length}` }] } } };
        default:
            return plain;
    }
}

class RecordingMonitor extends MockMonitor {
    public readonly recorded: Recorded[] = [];
    /** The stack names the program read its last outputs by, in order. */
    public readonly stackNamesRead: string[] = [];

    constructor(options: MockOptions) {
        const self = {
            monitor: undefined as RecordingMonitor | undefined,
        };
        super({
            newResource: async (args: pulumi.runtime.MockResourceArgs) => {
                const outputs = await mockOutputs(args.type, args.name, args.inputs, args.provider, options);
                const record = self.monitor!.recorded.find((r) => r.type === args.type && r.name === args.name);
                if (record) record.outputs = unwrap(outputs);
                return { id: args.id || `${args.name}-id`, state: outputs };
            },
            call: (args: pulumi.runtime.MockCallArgs) => {
                if (args.token !== READ_STACK_OUTPUTS) return {};
                const name = String(args.inputs.name);
                self.monitor!.stackNamesRead.push(name);
                if (options.legacyLayout && name.includes("/")) throw new Error(`a stack name may not contain slashes: ${name}`);
                return { name, outputs: options.lastOutputs ?? {}, secretOutputNames: [] };
            },
        });
        self.monitor = this;
    }

    private record(req: any, read: boolean) {
        const inputs = pulumi.runtime.deserializeProperties(read ? req.getProperties() : req.getObject());
        this.recorded.push({
            type: req.getType(),
            name: req.getName(),
            urn: (this as any).newUrn(req.getParent(), req.getType(), req.getName()),
            parent: req.getParent(),
            custom: read || req.getCustom(),
            read,
            dependencies: req.getDependenciesList(),
            inputDependencies: read
                ? []
                : [...new Set([...req.getPropertydependenciesMap().entries()].flatMap(([, deps]: [string, any]) => deps.getUrnsList()))],
            deletedWith: read ? "" : req.getDeletedwith(),
            deleteBeforeReplace: read ? false : req.getDeletebeforereplace(),
            retainOnDelete: read ? false : req.getRetainondelete(),
            ignoreChanges: read ? [] : req.getIgnorechangesList(),
            additionalSecretOutputs: read ? [] : req.getAdditionalsecretoutputsList(),
            provider: req.getProvider(),
            inputs: unwrap(inputs),
            redacted: redact(inputs),
            secretInputs: Object.entries(inputs)
                .filter(([, v]) => isSecret(v))
                .map(([k]) => k),
            outputs: undefined,
        });
    }

    async registerResource(req: any, callback: any) {
        this.record(req, false);
        return super.registerResource(req, callback);
    }

    async readResource(req: any, callback: any) {
        this.record(req, true);
        return super.readResource(req, callback);
    }
}

function installMocks(options: MockOptions): RecordingMonitor {
    const monitor = new RecordingMonitor(options);
    settings.setMockOptions(monitor, "istio-multicluster", "test", options.preview ?? false, "organization");
    const store = (state as any).getStore();
    store.supportsSecrets = true;
    store.supportsResourceReferences = true;
    store.supportsOutputValues = false;
    store.supportsDeletedWith = true;
    store.supportsAliasSpecs = true;
    store.supportsTransforms = false;
    return monitor;
}

export class Graph {
    constructor(public readonly resources: Recorded[]) {}

    ofType(type: string): Recorded[] {
        return this.resources.filter((r) => r.type === type);
    }

    named(name: string): Recorded {
        const found = this.resources.filter((r) => r.name === name);
        if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
        return found[0];
    }

    byUrn(urn: string): Recorded | undefined {
        return this.resources.find((r) => r.urn === urn);
    }

    /** Kubernetes objects of a kind (typed or custom resources). */
    objects(kind: string): Recorded[] {
        return this.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`));
    }

    /** Does `a` wait for `b`, directly or through other resources (dependencies and parents)? */
    waitsFor(a: Recorded, b: Recorded): boolean {
        const seen = new Set<string>();
        const stack = [a.urn];
        while (stack.length > 0) {
            const urn = stack.pop()!;
            if (seen.has(urn)) continue;
            seen.add(urn);
            const r = this.byUrn(urn);
            if (!r) continue;
            for (const dep of r.dependencies) {
                if (dep === b.urn) return true;
                stack.push(dep);
            }
        }
        return false;
    }

    /** Resources whose provider is the given cluster's (by provider resource name prefix). */
    inCluster(prefix: string): Recorded[] {
        return this.resources.filter((r) => r.provider.includes(`::${prefix}-provider::`));
    }
}

/** Runs `program` under mocks; resolves once every registration has finished, with what it threw. */
export async function recordOutcome<T>(
    program: () => T | Promise<T>,
    options: MockOptions = {},
): Promise<{ graph: Graph; result?: T; error?: unknown; stackNamesRead: string[] }> {
    const monitor = installMocks(options);
    let result: T | undefined;
    let error: unknown;
    try {
        // index.ts exports a promise (the language host awaits it); components return values.
        result = await program();
    } catch (thrown) {
        error = thrown;
    }
    // Outputs settle in several rounds; wait until the RPC queue stays empty.
    for (let round = 0; round < 5; round++) {
        await (settings as any).waitForRPCs();
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { graph: new Graph(monitor.recorded), result, error, stackNamesRead: monitor.stackNamesRead };
}

/** Runs `program` under mocks; resolves once every registration has finished. */
export async function record<T>(program: () => T | Promise<T>, options: MockOptions = {}): Promise<{ graph: Graph; result: T }> {
    const { graph, result, error } = await recordOutcome(program, options);
    if (error !== undefined) throw error;
    return { graph, result: result as T };
}

/** A MeshConfig from raw config values (as `pulumi config` holds them). */
export function configFrom(values: Record<string, unknown> = {}): MeshConfig {
    return parseConfig((key) => {
        const value = values[key];
        if (value === undefined) return undefined;
        return typeof value === "string" ? value : JSON.stringify(value);
    });
}

export function recordMesh(values: Record<string, unknown> = {}, options: MockOptions = {}): Promise<{ graph: Graph; result: Mesh }> {
    const config = configFrom({ preflight: false, ...values });
    return record(() => buildMesh(config), options);
}

/** Resolves an Output's value in tests. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}
