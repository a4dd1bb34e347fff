// index.ts itself: config read once and validated before anything is declared, and the outputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { record, recordOutcome, valueOf } from "./harness";

function runIndex(config: Record<string, string>) {
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`istio-multicluster:${k}`, v])));
    const file = require.resolve("../index");
    delete require.cache[file];
    return record(() => require("../index"));
}

test("the program exports per cluster context, names, network, gateway address, and the Istio version", async () => {
    const { result, graph } = await runIndex({ clusterCount: "2", preflight: "false" });
    assert.ok(graph.resources.length > 50);
    assert.equal(result.istioVersion, "1.31.1");
    assert.equal(result.meshId, "mesh1");
    const clusters = await valueOf(pulumi.output(result.clusters));
    assert.deepEqual(
        clusters.map((c: any) => [c.context, c.clusterName, c.network, c.apiServer, c.eastWestGatewayAddress, c.helloworldVersions]),
        [
            ["istio-1", "cluster1", "network1", "https://172.18.0.2:6443", "172.18.128.1", ["v1"]],
            ["istio-2", "cluster2", "network2", "https://172.18.0.3:6443", "172.18.136.1", ["v2"]],
        ],
    );
    assert.ok(pulumi.Output.isInstance(result.kubeconfigs));
    assert.equal(await (result.kubeconfigs as any).isSecret, true, "kubeconfigs output is secret");
});

test("bad config: one clear error, no stack trace, and no resource declared", async () => {
    pulumi.runtime.setAllConfig({ "istio-multicluster:clusterCount": "abc" });
    delete require.cache[require.resolve("../index")];
    const { graph, error } = await recordOutcome(() => require("../index"));
    assert.ok(error instanceof pulumi.RunError, "RunError: Pulumi prints the message without a stack trace");
    assert.equal(error.message, 'Invalid config istio-multicluster:clusterCount = "abc": must be a whole number from 1 to 16.');
    assert.deepEqual(graph.resources, [], "nothing declared");
    // The same check sees resources when there are some.
    pulumi.runtime.setAllConfig({ "istio-multicluster:clusterCount": "1", "istio-multicluster:preflight": "false" });
    delete require.cache[require.resolve("../index")];
    assert.ok((await recordOutcome(() => require("../index"))).graph.resources.length > 10);
});

test("a failing preflight stops the program before anything is declared", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
        await assert.rejects(
            () => runIndex({ clusterCount: "2" }),
            (error: Error) => {
                assert.ok(error instanceof pulumi.RunError);
                assert.match(
                    error.message,
                    /^Preflight failed \(set istio-multicluster:preflight false to skip\):\n  - docker is not installed/,
                );
                assert.match(error.message, /kind is not installed/);
                assert.match(error.message, /kubectl is not installed/);
                return true;
            },
        );
    } finally {
        process.env.PATH = path;
    }
});
