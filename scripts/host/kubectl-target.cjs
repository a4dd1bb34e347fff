// @ts-check
// Which cluster a helper command that the program runs talks to, from its environment (or, for a
// command that talks to several clusters, from each cluster's own target object):
//   KUBECONFIG_DATA                 kubeconfig text, written to a private file
//   KIND_CLUSTER_NAME               a kind cluster: kind itself gives its kubeconfig (nothing secret
//                                   in the command's inputs)
//   KUBE_CONTEXT [+ KUBECONFIG]     a context of the kubeconfig (one file), else of $KUBECONFIG
// Plain JavaScript: the waits and discovery commands run without a TypeScript loader.
"use strict";
const { spawnSync } = require("node:child_process");
const { writeFileSync } = require("node:fs");
const path = require("node:path");

/**
 * kubectl's arguments for the target cluster; `dir` is a private folder for a kubeconfig file.
 * @param {string} dir
 * @param {Record<string, string | undefined>} [target] default: this process's environment
 * @returns {string[]}
 */
function kubectlTarget(dir, target = process.env) {
    const file = (name, text) => {
        const written = path.join(dir, name);
        writeFileSync(written, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o600 });
        return written;
    };
    if (target.KUBECONFIG_DATA) return ["--kubeconfig", file("kubeconfig", target.KUBECONFIG_DATA)];
    if (target.KIND_CLUSTER_NAME) {
        const name = target.KIND_CLUSTER_NAME;
        const got = spawnSync("kind", ["get", "kubeconfig", "--name", name], { encoding: "utf8", timeout: 60_000 });
        if (got.status !== 0) {
            const why = (got.stderr || String(got.error ?? "")).trim().split("\n").pop();
            throw new Error(`kind get kubeconfig --name ${name} failed: ${why}`);
        }
        return ["--kubeconfig", file(`kind-${name}.kubeconfig`, got.stdout)];
    }
    if (!target.KUBE_CONTEXT) return [];
    // One file is passed on; a list (the user's $KUBECONFIG) is left to kubectl's own merging.
    const single = target.KUBECONFIG && !target.KUBECONFIG.includes(path.delimiter) ? ["--kubeconfig", target.KUBECONFIG] : [];
    return ["--context", target.KUBE_CONTEXT, ...single];
}

module.exports = { kubectlTarget };
