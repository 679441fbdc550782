/**
 * Address leases for full mode, keyed by client MAC. Pure bookkeeping: time comes in as a
 * number (ms) from the caller's Clock.
 */
import { ipv4ToNumber, numberToIpv4, type Ipv4Address, type MacAddress } from '../net/address.js';

export interface Lease {
  mac: MacAddress;
  ip: Ipv4Address;
  state: 'offered' | 'bound';
  /** ms on the caller's clock. */
  expiresAt: number;
}

export class LeasePool {
  private readonly first: number;
  private readonly last: number;
  private readonly byMac = new Map<MacAddress, Lease>();
  /** Declined addresses (RFC 2131 §4.3.3) and when they may be used again. */
  private readonly declined = new Map<number, number>();

  /** `reserved` addresses (server, router, fixed host entries) are never handed out dynamically. */
  constructor(
    first: Ipv4Address,
    last: Ipv4Address,
    private readonly reserved: ReadonlySet<Ipv4Address>,
  ) {
    this.first = ipv4ToNumber(first);
    this.last = ipv4ToNumber(last);
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  contains(ip: Ipv4Address): boolean {
    const n = ipv4ToNumber(ip);
    return n >= this.first && n <= this.last;
  }

  leaseOf(mac: MacAddress, now: number): Lease | undefined {
    const l = this.byMac.get(mac);
    return l && l.expiresAt > now ? l : undefined;
  }

  holderOf(ip: Ipv4Address, now: number): Lease | undefined {
    for (const l of this.byMac.values()) if (l.ip === ip && l.expiresAt > now) return l;
    return undefined;
  }

  /** True when `mac` may take `ip` now. */
  isFreeFor(ip: Ipv4Address, mac: MacAddress, now: number): boolean {
    if (this.reserved.has(ip)) return false;
    const until = this.declined.get(ipv4ToNumber(ip));
    if (until !== undefined && until > now) return false;
    const holder = this.holderOf(ip, now);
    return !holder || holder.mac === mac;
  }

  /** Picks an address for `mac`: its current lease, then `preferred` if free and in range, then the lowest free. */
  choose(mac: MacAddress, preferred: Ipv4Address | undefined, now: number): Ipv4Address | undefined {
    const current = this.leaseOf(mac, now);
    if (current) return current.ip;
    if (preferred && this.contains(preferred) && this.isFreeFor(preferred, mac, now)) return preferred;
    for (let n = this.first; n <= this.last; n++) {
      const ip = numberToIpv4(n);
      if (this.isFreeFor(ip, mac, now)) return ip;
    }
    // Full: take back the oldest address that was only offered, never requested. A flood of
    // DISCOVERs from made-up MACs would otherwise lock real clients out for the offer hold time.
    let oldest: Lease | undefined;
    for (const l of this.byMac.values()) {
      if (l.state === 'offered' && l.expiresAt > now && (!oldest || l.expiresAt < oldest.expiresAt)) oldest = l;
    }
    if (!oldest) return undefined;
    this.byMac.delete(oldest.mac);
    return oldest.ip;
  }

  set(mac: MacAddress, ip: Ipv4Address, state: Lease['state'], expiresAt: number): Lease {
    const lease: Lease = { mac, ip, state, expiresAt };
    this.byMac.set(mac, lease);
    return lease;
  }

  release(mac: MacAddress): Lease | undefined {
    const l = this.byMac.get(mac);
    this.byMac.delete(mac);
    return l;
  }

  decline(ip: Ipv4Address, until: number): void {
    this.declined.set(ipv4ToNumber(ip), until);
    for (const [mac, l] of this.byMac) if (l.ip === ip) this.byMac.delete(mac);
  }

  list(now: number): Lease[] {
    return [...this.byMac.values()].filter((l) => l.expiresAt > now);
  }
}
