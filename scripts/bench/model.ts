// Deploy-time model: how long each kind of resource takes, and the makespans that follow.

/** Simulated seconds per kind of resource (a laptop with images cached by the registry mirror). */
export const DURATIONS: Record<string, number> = {
    "kind cluster": 60,
    "kubeconfig read": 1,
    "image pull": 20,
    "image save": 15,
    "image load": 40, // one archive of every image
    "MetalLB release": 30,
    "webhook wait": 10,
    "istio-base release": 10,
    "istiod release": 45,
    "east-west gateway release": 40,
    deployment: 20,
    "private key": 1,
    certificate: 0.1,
    "plain object": 1,
    "component or provider": 0,
};

export interface Node {
    id: string;
    /** A row of DURATIONS. */
    kind: string;
    deps: string[];
}

/** Classifies a recorded resource into a row of DURATIONS. */
export function kindOf(type: string, inputs: any): string {
    if (type === "command:local:Command") {
        const create = String(inputs?.create ?? "");
        if (create.endsWith("kind-cluster.ts create")) return "kind cluster";
        if (create.endsWith("kind-cluster.ts kubeconfig")) return "kubeconfig read";
        if (create.endsWith("images.ts pull")) return "image pull";
        if (create.endsWith("images.ts save")) return "image save";
        if (create.endsWith("images.ts load")) return "image load";
        if (create.endsWith("wait-for-admission.ts")) return "webhook wait";
        return "plain object";
    }
    if (type === "kubernetes:helm.sh/v3:Release") {
        const chart = inputs?.chart;
        if (chart === "metallb") return "MetalLB release";
        if (chart === "base") return "istio-base release";
        if (chart === "istiod") return "istiod release";
        if (chart === "gateway") return "east-west gateway release";
    }
    if (type === "kubernetes:apps/v1:Deployment") return "deployment";
    if (type === "tls:index/privateKey:PrivateKey") return "private key";
    if (type.startsWith("tls:")) return "certificate";
    if (type.startsWith("kubernetes:")) return "plain object";
    return "component or provider";
}

/** Earliest finish of every node when everything runs as soon as its dependencies are done. */
export function finishTimes(nodes: Node[]): Map<string, number> {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const finish = new Map<string, number>();
    const visiting = new Set<string>();
    const visit = (id: string): number => {
        const known = finish.get(id);
        if (known !== undefined) return known;
        const node = byId.get(id);
        if (!node) return 0;
        if (visiting.has(id)) throw new Error(`dependency cycle at ${id}`);
        visiting.add(id);
        const start = Math.max(0, ...node.deps.map(visit));
        visiting.delete(id);
        const end = start + (DURATIONS[node.kind] ?? 0);
        finish.set(id, end);
        return end;
    };
    for (const node of nodes) visit(node.id);
    return finish;
}

export function makespan(nodes: Node[]): number {
    return Math.max(0, ...finishTimes(nodes).values());
}

export function totalWork(nodes: Node[]): number {
    return nodes.reduce((sum, n) => sum + (DURATIONS[n.kind] ?? 0), 0);
}

/**
 * The chains the mesh itself imposes, written from the architecture, not from the program:
 * per cluster create -> (images) -> MetalLB -> pool; namespace + cacerts + base -> istiod ->
 * gateway (after the pool) -> Gateway; samples after istiod; and remote access, the only step
 * that spans two clusters: a token in j after j's base, a secret in i after i's namespace.
 */
export function idealGraph(clusterCount: number, imageCount: number): Node[] {
    const nodes: Node[] = [];
    const add = (id: string, kind: string, deps: string[] = []) => nodes.push({ id, kind, deps });
    for (let k = 0; k < imageCount; k++) add(`pull${k}`, "image pull");
    add(
        "save",
        "image save",
        Array.from({ length: imageCount }, (_, k) => `pull${k}`),
    );
    add("rootkey", "private key");
    add("rootcert", "certificate", ["rootkey"]);
    for (let i = 1; i <= clusterCount; i++) {
        const c = (s: string) => `c${i}.${s}`;
        add(c("cluster"), "kind cluster");
        add(c("kubeconfig"), "kubeconfig read", [c("cluster")]);
        add(c("load"), "image load", [c("cluster"), "save"]);
        const ready = [c("kubeconfig"), c("load")];
        add(c("key"), "private key");
        add(c("cert"), "certificate", [c("key"), "rootcert"]);
        add(c("metallb"), "MetalLB release", ready);
        add(c("webhook"), "webhook wait", [c("metallb")]);
        add(c("pool"), "plain object", [c("webhook")]);
        add(c("ns"), "plain object", ready);
        add(c("cacerts"), "plain object", [c("ns"), c("cert")]);
        add(c("base"), "istio-base release", [c("ns")]);
        add(c("istiod"), "istiod release", [c("cacerts"), c("base")]);
        add(c("gateway"), "east-west gateway release", [c("istiod"), c("pool")]);
        add(c("crossnet"), "plain object", [c("gateway")]);
        add(c("samples"), "deployment", [c("istiod")]);
    }
    for (let i = 1; i <= clusterCount; i++) {
        for (let j = 1; j <= clusterCount; j++) {
            if (i === j) continue;
            add(`token${j}for${i}`, "plain object", [`c${j}.base`]);
            add(`secret${i}reads${j}`, "plain object", [`c${i}.ns`, `token${j}for${i}`]);
        }
    }
    return nodes;
}
