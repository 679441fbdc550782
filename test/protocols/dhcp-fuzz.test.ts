/**
 * Hostile input: 10,000 random and mutated datagrams must never make the engine throw, and a probe
 * DISCOVER afterwards is still answered (nothing wedged: no leaked state blocks a real client).
 */
import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp } from '../../src/protocols/dhcp/codec.js';
import { DhcpEngine } from '../../src/protocols/dhcp/engine.js';
import { messageTypeOf } from '../../src/protocols/dhcp/options.js';
import { decodeEthernet } from '../../src/protocols/net/ethernet.js';
import { parseMac } from '../../src/protocols/net/address.js';
import { seededRandom } from '../../src/transports/fake/fake-frame-link.js';
import { UBOOT_DISCOVER_FRAME_HEX } from './dhcp-fixtures.js';

const UBOOT_DHCP = decodeEthernet(Uint8Array.from(Buffer.from(UBOOT_DISCOVER_FRAME_HEX, 'hex')))!.payload.subarray(28, 28 + 300).slice();

function seeds(): Uint8Array[] {
  const enc = (s: string) => new TextEncoder().encode(s);
  const mk = (type: number, extra: Array<[number, Uint8Array]> = []) =>
    encodeDhcp({ op: 1, xid: 7, chaddr: parseMac('02:00:00:00:00:09'), options: [[53, Uint8Array.of(type)], [60, enc('PXEClient:Arch:00007')], [93, Uint8Array.of(0, 7)], ...extra] });
  return [
    UBOOT_DHCP,
    mk(1),
    mk(3, [[50, Uint8Array.of(192, 0, 2, 100)], [54, Uint8Array.of(192, 0, 2, 1)]]),
    mk(4, [[50, Uint8Array.of(192, 0, 2, 101)], [54, Uint8Array.of(192, 0, 2, 1)]]),
    mk(7, [[54, Uint8Array.of(192, 0, 2, 1)]]),
    mk(8),
    mk(1, [[52, Uint8Array.of(3)]]),
    encodeDhcp({ op: 1, xid: 9, chaddr: parseMac('02:00:00:00:00:0a') }),
  ];
}

function mutate(rand: () => number, base: Uint8Array): Uint8Array {
  const r = rand();
  if (r < 0.2) {
    // Pure noise of any length, sometimes with a valid cookie so the option parser runs.
    const b = Uint8Array.from({ length: Math.floor(rand() * 700) }, () => Math.floor(rand() * 256));
    if (b.length > 240 && rand() < 0.7) b.set([99, 130, 83, 99], 236);
    if (b.length > 0 && rand() < 0.5) b[0] = 1;
    return b;
  }
  const b = base.slice();
  if (r < 0.4) return b.subarray(0, Math.floor(rand() * b.length)); // truncation
  if (r < 0.6) {
    // Option area corruption: random bytes after the cookie (lengths that lie, 52 overloads, END missing).
    for (let i = 0; i < 1 + rand() * 12; i++) b[240 + Math.floor(rand() * (b.length - 240))] = Math.floor(rand() * 256);
    return b;
  }
  if (r < 0.8) {
    for (let i = 0; i < 1 + rand() * 8; i++) {
      const k = Math.floor(rand() * b.length);
      b[k] = b[k]! ^ (1 << Math.floor(rand() * 8));
    }
    return b;
  }
  // Grow: append random option TLVs past the END.
  const tail = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
  const g = new Uint8Array(b.length + tail.length);
  g.set(b);
  g.set(tail, b.length);
  g[b.length - 1] = tail[0] ?? 0; // often overwrite END so parsing continues into the noise
  return g;
}

describe.each(['full', 'proxy'] as const)('DHCP engine fuzz (%s mode)', (mode) => {
  it('survives 10,000 random/mutated datagrams and still answers a probe DISCOVER', () => {
    const engine = new DhcpEngine(
      mode === 'full'
        ? { mode, serverIp: '192.0.2.1', subnetMask: '255.255.255.0', pool: { first: '192.0.2.100', last: '192.0.2.120' }, defaultBootfile: 'f' }
        : { mode, serverIp: '192.0.2.1', defaultBootfile: 'f' },
    );
    const rand = seededRandom(0xb007);
    const base = seeds();
    let now = 0;
    const counts = { replies: 0, malformed: 0, ignored: 0 };
    for (let i = 0; i < 10_000; i++) {
      const input = mutate(rand, base[i % base.length]!);
      const out = engine.handle(input, now, rand() < 0.1 ? 4011 : 67);
      now += 10;
      counts.replies += out.replies.length;
      for (const ev of out.events) {
        if (ev.type === 'malformed') counts.malformed++;
        if (ev.type === 'ignored') counts.ignored++;
      }
      // Whatever we answer must itself be a well-formed reply.
      for (const r of out.replies) {
        const d = decodeDhcp(r.data);
        expect(d.ok && d.message.op).toBe(2);
      }
    }
    // The fuzz exercised all paths, not just the decoder's early exits.
    expect(counts.malformed).toBeGreaterThan(500);
    expect(counts.replies).toBeGreaterThan(100);
    expect(counts.ignored).toBeGreaterThan(100);
    const probe = engine.handle(UBOOT_DHCP, now + 120_000); // offers made during the fuzz have expired
    expect(probe.replies).toHaveLength(1);
    const d = decodeDhcp(probe.replies[0]!.data);
    expect(d.ok && messageTypeOf(d.message)).toBe('offer');
  });
});
