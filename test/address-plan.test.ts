import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CLUSTERS, carvePool, ipToInt } from "../components/address-plan";
import { ipv4SubnetOf } from "../components/kind/docker-network";

test("a /16 kind network: cluster pools in the upper half, one block each", () => {
    assert.deepEqual(carvePool("172.18.0.0/16", 1), {
        range: "172.18.128.1-172.18.135.254",
        first: "172.18.128.1",
        last: "172.18.135.254",
        gatewayAddress: "172.18.128.1",
    });
    assert.equal(carvePool("172.18.0.0/16", 3).range, "172.18.144.1-172.18.151.254");
    assert.equal(carvePool("172.18.0.0/16", MAX_CLUSTERS).range, "172.18.248.1-172.18.255.254");
});

test("a /24 kind network: blocks of 8, never the network, gateway, broadcast or node half", () => {
    const pools = Array.from({ length: MAX_CLUSTERS }, (_, k) => carvePool("192.168.49.0/24", k + 1));
    assert.equal(pools[0].range, "192.168.49.129-192.168.49.134");
    assert.equal(pools[MAX_CLUSTERS - 1].range, "192.168.49.249-192.168.49.254");
    for (const pool of pools) {
        const first = ipToInt(pool.first);
        const last = ipToInt(pool.last);
        assert.ok(first >= ipToInt("192.168.49.128"), "docker's node addresses (lower half) stay free");
        assert.ok(last < ipToInt("192.168.49.255"), "broadcast excluded");
        assert.ok(last - first + 1 >= 6);
    }
    for (let k = 1; k < pools.length; k++) assert.ok(ipToInt(pools[k].first) > ipToInt(pools[k - 1].last));
});

test("a network address given with host bits is normalised", () => {
    assert.equal(carvePool("172.18.0.1/16", 1).first, "172.18.128.1");
});

test("too small a network or a bad index is an error", () => {
    assert.throws(() => carvePool("172.18.0.0/25", 1), /too small for LoadBalancer pools: need a \/24 or larger/);
    assert.throws(() => carvePool("172.18.0.0/16", 0), /outside 1..16/);
    assert.throws(() => carvePool("172.18.0.0/16", 17), /outside 1..16/);
    assert.throws(() => carvePool("not-a-cidr", 1), /not an IPv4 CIDR/);
});

test("the IPv4 subnet is picked out of docker's IPAM config (dual stack)", () => {
    assert.equal(ipv4SubnetOf('[{"Subnet":"fc00:f853:ccd:e793::/64"},{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]'), "172.18.0.0/16");
    assert.throws(() => ipv4SubnetOf('[{"Subnet":"fc00::/64"}]'), /no IPv4 subnet/);
    assert.throws(() => ipv4SubnetOf("nope"), /cannot parse/);
});
