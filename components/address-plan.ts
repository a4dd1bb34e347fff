// The address plan: which subnets and LoadBalancer ranges cluster i gets.
// Pure functions, no resources: the config layer, the kind provisioner and the tests share them.

/**
 * Upper bound on clusterCount. The LoadBalancer pools split the upper half of the
 * docker network into this many equal blocks (the lower half stays with docker for
 * node containers), and a /24 network still leaves 6 usable addresses per block.
 */
export const MAX_CLUSTERS = 16;

/** Smallest docker network we can carve pools from (/24: blocks of 8 addresses). */
export const MAX_NETWORK_PREFIX = 24;

/** Service subnet of cluster i (1-based): 10.<i>.0.0/16, as in the lab. */
export function serviceSubnet(index: number): string {
    return `10.${index}.0.0/16`;
}

/** Pod subnet of cluster i (1-based): 10.<100+i>.0.0/16, as in the lab. */
export function podSubnet(index: number): string {
    return `10.${100 + index}.0.0/16`;
}

export interface Ipv4Cidr {
    network: number; // network address as an unsigned 32-bit integer
    prefix: number;
}

export function ipToInt(ip: string): number {
    const parts = ip.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)) {
        throw new Error(`"${ip}" is not an IPv4 address`);
    }
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function isIpv4(text: string): boolean {
    try {
        ipToInt(text);
        return true;
    } catch {
        return false;
    }
}

export function intToIp(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export function parseCidr(cidr: string): Ipv4Cidr {
    const match = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
    if (!match || Number(match[2]) > 32) {
        throw new Error(`"${cidr}" is not an IPv4 CIDR (a.b.c.d/n)`);
    }
    const prefix = Number(match[2]);
    const address = ipToInt(match[1]);
    const size = 2 ** (32 - prefix);
    return { network: address - (address % size), prefix };
}

export interface AddressPool {
    /** MetalLB range "first-last". */
    range: string;
    first: string;
    last: string;
    /** The address the east-west gateway is pinned to: the pool's first address. */
    gatewayAddress: string;
}

/**
 * The LoadBalancer pool of cluster i inside the docker network `networkCidr`.
 * Docker hands out container addresses from the bottom of the network, so pools live
 * in its upper half: block i of MAX_CLUSTERS equal blocks, minus each block's first and
 * last address (the last block's last address is the broadcast address).
 */
/** Do two IPv4 CIDRs share an address? */
export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a);
    const y = parseCidr(b);
    return x.network < y.network + 2 ** (32 - y.prefix) && y.network < x.network + 2 ** (32 - x.prefix);
}

/** Problems if a cluster's pod or service subnet overlaps the docker network its nodes sit on. */
export function subnetsClashWithDocker(dockerSubnet: string, subnets: Record<string, string>): string[] {
    return Object.entries(subnets)
        .filter(([, cidr]) => cidrsOverlap(cidr, dockerSubnet))
        .map(([what, cidr]) => `${what} ${cidr} overlaps the docker network's subnet ${dockerSubnet}`);
}

export function carvePool(networkCidr: string, index: number): AddressPool {
    const { network, prefix } = parseCidr(networkCidr);
    if (prefix > MAX_NETWORK_PREFIX) {
        throw new Error(`docker network ${networkCidr} is too small for LoadBalancer pools: need a /${MAX_NETWORK_PREFIX} or larger`);
    }
    if (!Number.isInteger(index) || index < 1 || index > MAX_CLUSTERS) {
        throw new Error(`cluster index ${index} is outside 1..${MAX_CLUSTERS}`);
    }
    const size = 2 ** (32 - prefix);
    const blockSize = size / 2 / MAX_CLUSTERS;
    const blockStart = network + size / 2 + (index - 1) * blockSize;
    const first = intToIp(blockStart + 1);
    const last = intToIp(blockStart + blockSize - 2);
    return { range: `${first}-${last}`, first, last, gatewayAddress: first };
}
