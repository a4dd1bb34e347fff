// Where helm finds a chart: in a chart repository (its index.yaml) or in an OCI registry.

export interface ChartSource {
    chart: string;
    repositoryOpts?: { repo: string };
}

/** The helm.v3.Release inputs that name `chart` in `repo` (http(s):// repository or oci:// path). */
export function chartSource(repo: string, chart: string): ChartSource {
    return repo.startsWith("oci://") ? { chart: `${repo}/${chart}` } : { chart, repositoryOpts: { repo } };
}
