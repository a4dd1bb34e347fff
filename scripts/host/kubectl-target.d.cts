/** kubectl's arguments for the target cluster (default: this process's environment); `dir` is a private folder for a kubeconfig file. */
export declare function kubectlTarget(dir: string, target?: Record<string, string | undefined>): string[];
