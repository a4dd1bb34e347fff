/** kubectl's arguments for the target cluster; `dir` is a private folder for the kubeconfig file. */
export declare function kubectlTarget(dir: string): string[];
