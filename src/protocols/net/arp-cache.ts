/**
 * IPv4 → MAC neighbour table with expiry (RFC 826; RFC 1122 §2.3.2.1 asks for timeouts).
 * Pure: the caller passes the time.
 */
import type { Ipv4Address, MacAddress } from './address.js';

/** Linux's default base_reachable_time is 30 s; a lab link changes rarely, so 5 minutes is plenty. */
export const ARP_ENTRY_LIFETIME_MS = 5 * 60_000;
const MAX_ENTRIES = 1024;

export class ArpCache {
  private readonly entries = new Map<Ipv4Address, { mac: MacAddress; expiresAt: number }>();

  constructor(private readonly lifetimeMs = ARP_ENTRY_LIFETIME_MS) {}

  lookup(ip: Ipv4Address, now: number): MacAddress | undefined {
    const e = this.entries.get(ip);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(ip);
      return undefined;
    }
    return e.mac;
  }

  learn(ip: Ipv4Address, mac: MacAddress, now: number): void {
    if (ip === '0.0.0.0') return;
    this.entries.delete(ip);
    // Bounded: a flood of spoofed senders must not grow memory without limit; drop the oldest.
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(ip, { mac, expiresAt: now + this.lifetimeMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
