// What docker says about the `kind` network.

/** Picks the IPv4 subnet out of `docker network inspect kind --format '{{json .IPAM.Config}}'`. */
export function ipv4SubnetOf(ipamConfigJson: string): string {
    let entries: unknown;
    try {
        entries = JSON.parse(ipamConfigJson);
    } catch {
        throw new Error(`cannot parse docker IPAM config: ${ipamConfigJson.slice(0, 200)}`);
    }
    const subnets = (Array.isArray(entries) ? entries : [])
        .map((e) => (e && typeof e === "object" ? (e as { Subnet?: unknown }).Subnet : undefined))
        .filter((s): s is string => typeof s === "string" && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
    if (subnets.length === 0) {
        throw new Error(`the kind docker network has no IPv4 subnet (IPAM config: ${ipamConfigJson.trim()})`);
    }
    return subnets[0];
}
