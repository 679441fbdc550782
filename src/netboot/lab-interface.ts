/**
 * Is this interface a lab network we may serve DHCP on, and with which addresses? Pure: facts in
 * (transports/net-interfaces.ts, read by transports/node/net-interfaces.ts), a plan or a usage error out.
 *
 * Kernel sockets cannot be tied to one device from Node, so the server must run where the lab NIC
 * is the only non-loopback interface (a network namespace that owns it, docs/netboot-facts.md §5), and a full
 * DHCP server must never run on the network that carries the default route (it would hand out
 * addresses on someone's office LAN) unless the user insists with --force.
 */
import { UsageError } from '../core/errors.js';
import type { DhcpMode } from '../protocols/dhcp/config.js';
import { ipv4ToNumber, numberToIpv4 } from '../protocols/net/address.js';
import type { InterfaceFacts } from '../transports/net-interfaces.js';

export interface LabInterfacePlan {
  interface: string;
  serverIp: string;
  subnetMask: string;
  /** Full DHCP: the dynamic range (inside the subnet, not the server, network or broadcast address). */
  pool: { first: string; last: string };
}

export function planLabInterface(facts: readonly InterfaceFacts[], name: string, o: { dhcp: DhcpMode | 'off'; force?: boolean; pool?: { first: string; last: string } }): LabInterfacePlan {
  const nic = facts.find((f) => f.name === name);
  if (!nic) {
    const have = facts.filter((f) => !f.loopback).map((f) => f.name);
    throw new UsageError(`no interface '${name}' with an IPv4 address here`, { hint: `interfaces with addresses: ${have.join(', ') || 'none'}; inside a namespace run under \`ip netns exec NS\`` });
  }
  const addr = nic.ipv4[0];
  if (!addr) throw new UsageError(`interface '${name}' has no IPv4 address`, { hint: `e.g. ip addr add 192.0.2.1/24 dev ${name}` });
  const problems: string[] = [];
  const others = facts.filter((f) => !f.loopback && f.name !== name && f.ipv4.length > 0).map((f) => f.name);
  if (others.length && o.dhcp !== 'off') problems.push(`other interfaces have addresses here (${others.join(', ')}): DHCP broadcasts would be heard from them too`);
  if (nic.defaultRoute && o.dhcp === 'full') problems.push(`'${name}' carries the default route: a full DHCP server there would hand out addresses on a shared network`);
  if (problems.length && !o.force) {
    throw new UsageError(`refusing to serve DHCP on '${name}': ${problems.join('; ')}`, {
      hint: 'run inside a network namespace that owns only the lab NIC (`ip netns exec NS boardkit netboot serve ...`), use --dhcp proxy on a shared LAN, or --force if you own this network',
    });
  }
  const ip = ipv4ToNumber(addr.address);
  const mask = ipv4ToNumber(addr.netmask);
  const network = (ip & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  let pool = o.pool;
  if (!pool) {
    // The upper half of the subnet (at most 100 addresses), skipping the server's own address.
    const size = broadcast - network - 1;
    if (size < 2) throw new UsageError(`'${name}' (${addr.address}/${addr.netmask}) has no room for a DHCP pool`, { hint: 'use a /24 lab subnet, e.g. 192.0.2.1/24' });
    let first = network + 1 + Math.floor(size / 2);
    const last = Math.min(broadcast - 1, first + 99);
    if (first <= ip && ip <= last) first = ip + 1;
    if (first > last) throw new UsageError(`no room for a DHCP pool on '${name}'`, { hint: 'pass --pool FIRST-LAST' });
    pool = { first: numberToIpv4(first), last: numberToIpv4(last) };
  }
  return { interface: name, serverIp: addr.address, subnetMask: addr.netmask, pool };
}
