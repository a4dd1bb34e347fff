// Real-tools tier: the program under the real Pulumi CLI and Node.js language host, exactly as
// `pulumi preview` / `pulumi up` run it, on a throwaway file backend. The provider plugins
// command, tls and kubernetes cannot be built from the Go module proxy here (README, "What is
// proven where"): where they are missing, a preview must still run the program and stop at
// the first plugin it needs, never before.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { PulumiProject, missingTools, pulumiProject } from "./real-tools";

const skip = missingTools(["pulumi", "pulumi-language-nodejs"]);
if (skip) console.log(`skipped: the real engine tier ${skip}`);

let project: PulumiProject;
before(() => {
    if (!skip) project = pulumiProject();
});
beforeEach(() => project?.resetStack());
after(() => project?.remove());

const CONFIG = "istio-multicluster:";
const withConfig = (values: Record<string, string>) => Object.entries(values).flatMap(([k, v]) => ["--config", `${CONFIG}${k}=${v}`]);
const output = (run: { stdout: string; stderr: string }) => run.stdout + run.stderr;

function resourcesInState(): string[] {
    const exported = project.run(["stack", "export"]);
    assert.equal(exported.status, 0, exported.stderr);
    return (JSON.parse(exported.stdout).deployment.resources ?? []).map((r: { type: string }) => r.type);
}

for (const value of ["abc", "2.5"]) {
    test(`clusterCount=${value}: the CLI's own type error, before the program runs; nothing is created`, { skip }, () => {
        const run = project.run(["up", "--yes", ...withConfig({ clusterCount: value })]);
        assert.notEqual(run.status, 0);
        assert.match(
            output(run),
            /^error: validating stack config: Stack 'dev' with configuration key 'clusterCount' must be of type 'integer'$/m,
        );
        assert.doesNotMatch(output(run), /Invalid config/, "the program did not run");
        assert.deepEqual(resourcesInState(), []);
        assert.match(
            project.stackFile(),
            new RegExp(`^  istio-multicluster:clusterCount: "?${value}"?$`, "m"),
            "--config writes the stack file",
        );
    });
}

for (const value of ["0", "17"]) {
    test(`clusterCount=${value}: the program's range error under the real language host; nothing is created`, { skip }, () => {
        const run = project.run(["up", "--yes", ...withConfig({ clusterCount: value })]);
        assert.notEqual(run.status, 0);
        const errors = output(run).match(/^ +error: .*$/gm) ?? [];
        assert.deepEqual(
            errors.map((line) => line.trim()),
            [`error: Invalid config istio-multicluster:clusterCount = "${value}": must be a whole number from 1 to 16.`],
        );
        // The one message, and no warning from Node or the CLI around it.
        assert.doesNotMatch(output(run), /PromiseRejectionHandledWarning|trace-warnings|warning: using pulumi-language-nodejs/);
        assert.deepEqual(resourcesInState(), []);
    });
}

interface PreviewJson {
    steps: { op: string; newState: { type: string; urn: string } }[];
    diagnostics: { severity: string; message: string; urn?: string }[];
}

function preview(values: Record<string, string>, on: PulumiProject = project): PreviewJson & { status: number } {
    const run = on.run(["preview", "--json", ...withConfig({ preflight: "false", ...values })]);
    return { status: run.status, ...(JSON.parse(run.stdout) as PreviewJson) };
}

const MISSING_PLUGIN =
    /^error: no resource plugin 'pulumi-resource-(command|tls|kubernetes)' found in the workspace at version v[\d.]+ or on your \$PATH\n$/;

const OFFLINE_CHART_REPO =
    /^error: kubernetes:helm\.sh\/v3:Release resource '[\w-]+': property chart value \{\w+\} has a problem: looks like "https:\/\/[^"]+" is not a valid chart repository or cannot be reached: .*network is unreachable/s;

const PREVIEWS: Record<string, { values: Record<string, string>; component: string; count: number }> = {
    "the dev stack (kind, endpoint discovery)": { values: {}, component: "KindCluster", count: 3 },
    "provisioner existing with two clusters": {
        values: {
            provisioner: "existing",
            clusters: JSON.stringify([
                { context: "east", apiServer: "https://10.0.0.1:6443", loadBalancer: "metallb", metallbRange: "10.0.10.0/28" },
                { context: "west", apiServer: "https://api.west.example.com:443", gatewayAddress: "198.51.100.7" },
            ]),
        },
        component: "ExistingCluster",
        count: 2,
    },
    "discovery federated": { values: { discovery: "federated" }, component: "KindCluster", count: 3 },
};

for (const [name, { values, component, count }] of Object.entries(PREVIEWS)) {
    test(`pulumi preview of ${name}: the real engine runs the program and plans its clusters`, { skip }, () => {
        const result = preview(values);
        const errors = result.diagnostics.filter((d) => d.severity === "error");
        const planned = result.steps.filter((s) => s.newState.type === `istio-multicluster:index:${component}`);
        assert.equal(planned.length, count, `${count} ${component} planned; errors: ${JSON.stringify(errors)}`);
        // Without the provider plugins the engine stops at the first one it needs, and only there;
        // with them, at most where a plugin needs the network this test has not (Helm looking up
        // the chart repository for clusters whose kubeconfig is known).
        if (result.status !== 0) {
            assert.equal(errors.length, 1, JSON.stringify(errors));
            assert.match(errors[0].message, new RegExp(`${MISSING_PLUGIN.source}|${OFFLINE_CHART_REPO.source}`));
        }
        assert.ok(!errors.some((e) => /Invalid config|ReferenceError|TSError|Cannot find module/.test(e.message)));
    });
}

test(
    'README recipes: `eval "$(npm run --silent stack)"`, then every `pulumi config` line of the README, pasted in order, works',
    { skip },
    () => {
        const fresh = pulumiProject({ asUser: true });
        try {
            const readme = readFileSync(path.join(fresh.dir, "README.md"), "utf8");
            const lines = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)]
                .flatMap((m) => m[1].split("\n"))
                .filter((l) => /^pulumi config (set|rm)/.test(l));
            assert.ok(lines.length >= 10, `the README has config recipes (${lines.length})`);
            const script = [
                'eval "$(npm run --silent stack)"',
                ...lines.map((l) => `${l} || { echo "FAILED: ${l.replace(/"/g, '\\"')}" >&2; exit 1; }`),
                "pulumi config --json",
            ].join("\n");
            const run = fresh.shell(script);
            assert.equal(run.status, 0, run.stderr);
            const config = JSON.parse(run.stdout);
            assert.equal(config["istio-multicluster:provisioner"].value, "existing");
            assert.ok(Array.isArray(JSON.parse(config["istio-multicluster:clusters"].value)));
        } finally {
            fresh.remove();
        }
    },
);

/** Sets the stack's outputs as an update would have left them (a checkpoint with only the stack resource). */
const STACK_URN = "urn:pulumi:dev::istio-multicluster::pulumi:pulumi:Stack::istio-multicluster-dev";

/**
 * Sets the stack's outputs as an update would have left them (a checkpoint with only the stack
 * resource, and any `extra` resources, e.g. what an earlier release kept in state).
 */
function setLastOutputs(outputs: Record<string, unknown>, on: PulumiProject = project, extra: object[] = []): void {
    const exported = on.run(["stack", "export"]);
    assert.equal(exported.status, 0, exported.stderr);
    const state = JSON.parse(exported.stdout);
    state.deployment.resources = [{ urn: STACK_URN, custom: false, type: "pulumi:pulumi:Stack", outputs }, ...extra];
    const imported = on.shell('printf "%s" "$STATE" | pulumi stack import --non-interactive --force', {
        STATE: JSON.stringify(state),
    });
    assert.equal(imported.status, 0, imported.stderr);
}

test("canary steps under the real engine: the program reads back the revisions the stack's last update left", { skip }, () => {
    const errorsOf = (values: Record<string, string>) => {
        project.resetStack(); // --config writes the stack file: each preview has only its own values
        return preview(values)
            .diagnostics.filter((d) => d.severity === "error")
            .map((d) => d.message.trim());
    };
    const afterStep1 = {
        istioVersion: "1.31.1",
        istioRevisions: [
            { revision: "1-31-1", version: "1.31.1", tags: ["default"] },
            { revision: "1-31-4", version: "1.31.4", tags: ["canary"] },
        ],
    };
    try {
        // A new stack: the same version twice has nothing to promote from.
        assert.match(
            errorsOf({ istioCanary: "1.31.1" }).join("\n"),
            /istioCanary = "1\.31\.1": it equals istio-multicluster:istioVersion and no other revision runs/,
        );

        // After step 1, istioVersion without a canary would remove the running default: refused.
        setLastOutputs(afterStep1);
        assert.match(
            errorsOf({ istioVersion: "1.31.4" }).join("\n"),
            /moves the default tag off revision 1-31-1 \(1\.31\.1\) and removes it in the same update/,
        );
        // Step 2 (both keys the same version) is accepted only because 1-31-1 ran: the plan goes on to the clusters.
        const step2 = errorsOf({ istioVersion: "1.31.4", istioCanary: "1.31.4" });
        assert.ok(step2.length <= 1 && step2.every((e) => MISSING_PLUGIN.test(`${e}\n`)), JSON.stringify(step2));

        // After step 2: step 3 plans; dropping the canary and going back at once is refused.
        setLastOutputs({
            istioVersion: "1.31.4",
            istioRevisions: [
                { revision: "1-31-4", version: "1.31.4", tags: ["default"] },
                { revision: "1-31-1", version: "1.31.1", tags: [] },
            ],
        });
        const step3 = errorsOf({ istioVersion: "1.31.4" });
        assert.ok(step3.length <= 1 && step3.every((e) => MISSING_PLUGIN.test(`${e}\n`)), JSON.stringify(step3));
        assert.match(errorsOf({}).join("\n"), /moves the default tag off revision 1-31-4 \(1\.31\.4\)/);

        // A stack of the earlier release: one unrevisioned istiod; its outputs name only istioVersion.
        setLastOutputs({ istioVersion: "1.31.1", meshId: "mesh1" });
        assert.match(
            errorsOf({}).join("\n"),
            /^error: This stack runs the unrevisioned istiod \(1\.31\.1\) of an earlier release of this program;/,
        );
        const migration = errorsOf({ istioCanary: "1.31.1" });
        assert.ok(
            migration.every((e) => MISSING_PLUGIN.test(`${e}\n`)),
            JSON.stringify(migration),
        );
    } finally {
        setLastOutputs({});
    }
});

test(
    "the DIY backend's legacy layout (PULUMI_DIY_BACKEND_LEGACY_LAYOUT): the program still reads back what the last update left",
    { skip },
    () => {
        const legacy = pulumiProject({ env: { PULUMI_DIY_BACKEND_LEGACY_LAYOUT: "true" } });
        try {
            // That layout keeps stacks by name alone and has no meta.yaml: its stack references take no "org/project/".
            assert.ok(existsSync(path.join(legacy.backend, ".pulumi", "stacks", "dev.json")), "a legacy-layout backend");
            assert.ok(!existsSync(path.join(legacy.backend, ".pulumi", "meta.yaml")));
            setLastOutputs(
                {
                    istioVersion: "1.31.1",
                    istioRevisions: [
                        { revision: "1-31-1", version: "1.31.1", tags: ["default"] },
                        { revision: "1-31-4", version: "1.31.4", tags: ["canary"] },
                    ],
                },
                legacy,
            );
            const errors = (values: Record<string, string>) => {
                legacy.resetStack();
                return preview(values, legacy)
                    .diagnostics.filter((d) => d.severity === "error")
                    .map((d) => d.message.trim());
            };
            // Refused only because the program read that 1-31-1 runs as the default.
            assert.match(errors({ istioVersion: "1.31.4" }).join("\n"), /moves the default tag off revision 1-31-1 \(1\.31\.1\)/);
            // And the step it allows runs the program to its end, with no error about the stack's name.
            const step2 = errors({ istioVersion: "1.31.4", istioCanary: "1.31.4" });
            assert.ok(
                step2.every((e) => MISSING_PLUGIN.test(`${e}\n`)),
                JSON.stringify(step2),
            );
        } finally {
            legacy.remove();
        }
    },
);

test(
    "a stack of the previous release, which read its record through a self StackReference: carried over with no step, the reference leaves state",
    { skip },
    () => {
        const previous = {
            istioVersion: "1.31.1",
            istioRevisions: [
                { revision: "1-31-1", version: "1.31.1", tags: ["default"] },
                { revision: "1-31-4", version: "1.31.4", tags: ["canary"] },
            ],
        };
        const reference = {
            urn: "urn:pulumi:dev::istio-multicluster::pulumi:pulumi:StackReference::last-update",
            custom: true,
            id: "organization/istio-multicluster/dev",
            type: "pulumi:pulumi:StackReference",
            inputs: { name: "organization/istio-multicluster/dev" },
            outputs: { name: "organization/istio-multicluster/dev", outputs: previous, secretOutputNames: [] },
            parent: STACK_URN,
        };
        try {
            setLastOutputs(previous, project, [reference]);
            project.resetStack();
            const result = preview({ istioVersion: "1.31.4" });
            // The record is read as before: moving the default off a running revision is refused ...
            assert.match(JSON.stringify(result.diagnostics), /moves the default tag off revision 1-31-1/);
            project.resetStack();
            const step2 = preview({ istioVersion: "1.31.4", istioCanary: "1.31.4" });
            const errors = step2.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
            assert.ok(
                errors.every((e) => new RegExp(`${MISSING_PLUGIN.source}|${OFFLINE_CHART_REPO.source}`).test(e)),
                JSON.stringify(errors),
            );
            // ... and the old self reference is simply removed with the next update.
            const gone = step2.steps.find((step) => step.newState?.urn === reference.urn || (step as any).oldState?.urn === reference.urn);
            assert.equal(gone?.op, "delete");
        } finally {
            setLastOutputs({});
        }
    },
);
