// @ts-check
// Which cluster a helper command that the program runs talks to, from its environment:
// KUBECONFIG_DATA (kubeconfig text, written to a private file) or KUBE_CONTEXT [+ KUBECONFIG].
// Plain JavaScript: scripts/wait-object.cjs runs without a TypeScript loader.
"use strict";
const { writeFileSync } = require("node:fs");
const path = require("node:path");

/**
 * kubectl's arguments for the target cluster; `dir` is a private folder for the kubeconfig file.
 * @param {string} dir
 * @returns {string[]}
 */
function kubectlTarget(dir) {
    if (process.env.KUBECONFIG_DATA) {
        const file = path.join(dir, "kubeconfig");
        writeFileSync(file, `${process.env.KUBECONFIG_DATA}\n`, { mode: 0o600 });
        return ["--kubeconfig", file];
    }
    return process.env.KUBE_CONTEXT ? ["--context", process.env.KUBE_CONTEXT] : [];
}

module.exports = { kubectlTarget };
