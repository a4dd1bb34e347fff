// The real transport: kubectl against the kube contexts of the mesh.
import { lookup } from "node:dns/promises";
import { execFile } from "child_process";
import { Pod, Transport } from "./logic";

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile("kubectl", args, { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
            const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error?.message ?? "") });
        });
    });
}

async function ok(args: string[]): Promise<string> {
    const result = await kubectl(args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim().split("\n").pop()}`);
    return result.stdout;
}

export const kubectlTransport: Transport = {
    async contexts() {
        return (await ok(["config", "get-contexts", "-o", "name"]))
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean);
    },
    async pods(context, namespace, selector) {
        const list = JSON.parse(await ok(["--context", context, "-n", namespace, "get", "pods", "-l", selector, "-o", "json"]));
        return (list.items ?? []).map((item: any): Pod => ({
            name: item.metadata.name,
            ip: item.status?.podIP ?? "",
            labels: item.metadata.labels ?? {},
            // The injector writes the revision that injected the pod as an annotation, not a label.
            ...(item.metadata.annotations?.["istio.io/rev"] ? { revision: item.metadata.annotations["istio.io/rev"] } : {}),
            ready: (item.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
        }));
    },
    async gatewayAddress(context) {
        const result = await kubectl([
            "--context",
            context,
            "-n",
            "istio-system",
            "get",
            "service",
            "istio-eastwestgateway",
            "-o",
            "jsonpath={.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}",
        ]);
        return result.code === 0 ? result.stdout.trim() : "";
    },
    async resolve(host) {
        const found = await lookup(host, { all: true, family: 4 });
        return found.map((a) => a.address);
    },
    exec(context, namespace, pod, container, command) {
        return kubectl(["--context", context, "-n", namespace, "exec", pod, "-c", container, "--", ...command]);
    },
};
