// The benchmark's model: critical path, total work, and the ideal graph it compares against.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DURATIONS, idealGraph, kindOf, makespan, totalWork } from "../scripts/bench/model";

test("makespan is the longest dependency chain; total work is the sum", () => {
    const nodes = [
        { id: "a", kind: "kind cluster", deps: [] },
        { id: "b", kind: "istiod release", deps: ["a"] },
        { id: "c", kind: "image pull", deps: [] },
        { id: "d", kind: "image load", deps: ["a", "c"] },
    ];
    assert.equal(makespan(nodes), 60 + 45);
    assert.equal(totalWork(nodes), 60 + 45 + 20 + 40);
    assert.throws(
        () =>
            makespan([
                { id: "x", kind: "plain object", deps: ["y"] },
                { id: "y", kind: "plain object", deps: ["x"] },
            ]),
        /cycle/,
    );
});

test("the ideal mesh does not grow with the number of clusters", () => {
    const one = makespan(idealGraph(1, 7));
    assert.equal(makespan(idealGraph(6, 7)), one);
    // create 60 -> one archive load 40 -> namespace 1 -> base 10 -> istiod 45 -> gateway 40 -> Gateway 1
    assert.equal(one, 60 + 40 + 1 + 10 + 45 + 40 + 1);
});

test("resources are classified by what they are", () => {
    assert.equal(kindOf("command:local:Command", { create: "node --import tsx scripts/kind-cluster.ts create" }), "kind cluster");
    assert.equal(kindOf("kubernetes:helm.sh/v3:Release", { chart: "istiod" }), "istiod release");
    assert.equal(kindOf("kubernetes:helm.sh/v3:Release", { chart: "gateway" }), "east-west gateway release");
    assert.equal(kindOf("kubernetes:core/v1:Secret", {}), "plain object");
    assert.equal(kindOf("istio-multicluster:index:MeshPki", {}), "component or provider");
    assert.ok(Object.values(DURATIONS).every((d) => d >= 0));
});
