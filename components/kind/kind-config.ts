// The kind cluster config file for cluster i (kind decodes it strictly: no extra fields).
import { stringify } from "yaml";
import { ClusterSpec } from "../config";

export function kindConfig(spec: ClusterSpec, nodeImage: string): Record<string, unknown> {
    if (!spec.kind) throw new Error(`cluster ${spec.context} is not a kind cluster`);
    return {
        kind: "Cluster",
        apiVersion: "kind.x-k8s.io/v1alpha4",
        name: spec.context,
        networking: { podSubnet: spec.kind.podSubnet, serviceSubnet: spec.kind.serviceSubnet },
        nodes: [{ role: "control-plane", image: nodeImage }],
    };
}

export function kindConfigYaml(spec: ClusterSpec, nodeImage: string): string {
    return stringify(kindConfig(spec, nodeImage));
}
