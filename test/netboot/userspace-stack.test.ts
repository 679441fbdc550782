/**
 * The userspace stack over a fake cable. The far end is driven with raw frames built field by field
 * (ARP, IPv4, UDP, ICMP) so each behaviour is checked on the wire, not through the stack's own API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeFrameLinkPair } from '../../src/transports/fake/fake-frame-link.js';
import { UserspaceStack, type ObservedUdp } from '../../src/transports/userspace-stack.js';
import { decodeArp, encodeArp } from '../../src/protocols/net/arp.js';
import { decodeEthernet, encodeEthernet } from '../../src/protocols/net/ethernet.js';
import { decodeIpv4, encodeIpv4 } from '../../src/protocols/net/ipv4.js';
import { decodeUdp, encodeUdp } from '../../src/protocols/net/udp.js';
import { decodeIcmp, encodeIcmp } from '../../src/protocols/net/icmp.js';
import { internetChecksum } from '../../src/protocols/net/checksum.js';
import type { Datagram } from '../../src/transports/datagram-link.js';

const STACK_MAC = '02:00:00:00:00:01';
const STACK_IP = '192.0.2.1';
const PEER_MAC = '52:54:00:12:34:56';
const PEER_IP = '192.0.2.100';
const tick = () => new Promise((r) => setTimeout(r, 5));

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function setup(opts: { arpRetryMs?: number } = {}) {
  const { a, b } = createFakeFrameLinkPair();
  const stack = new UserspaceStack({ link: a, mac: STACK_MAC, ip: STACK_IP, ...opts });
  const got: Uint8Array[] = [];
  b.onFrame((f) => got.push(f));
  cleanup.push(() => stack.close());
  return { stack, peer: b, got };
}

function udpFrame(o: { from?: string; to?: string; dstMac?: string; sport: number; dport: number; data: Uint8Array; fragment?: boolean }): Uint8Array {
  const src = o.from ?? PEER_IP;
  const dst = o.to ?? STACK_IP;
  const ip = encodeIpv4({ source: src, destination: dst, protocol: 17, payload: encodeUdp({ sourcePort: o.sport, destinationPort: o.dport, payload: o.data }, src, dst) });
  if (o.fragment) {
    ip[6] = ip[6]! | 0x20; // MF
    ip[10] = 0;
    ip[11] = 0;
    const c = internetChecksum(ip.subarray(0, 20));
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
  }
  return encodeEthernet({ destination: o.dstMac ?? STACK_MAC, source: PEER_MAC, etherType: 0x0800, payload: ip });
}

describe('ARP', () => {
  it('answers a request for its IP with its MAC, and ignores requests for other IPs', async () => {
    const { peer, got, stack } = setup();
    const ask = (target: string) =>
      peer.send(encodeEthernet({ destination: 'ff:ff:ff:ff:ff:ff', source: PEER_MAC, etherType: 0x0806, payload: encodeArp({ operation: 1, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: '00:00:00:00:00:00', targetIp: target }) }));
    await ask('192.0.2.77');
    await ask(STACK_IP);
    await tick();
    expect(got).toHaveLength(1);
    const eth = decodeEthernet(got[0]!)!;
    expect(eth).toMatchObject({ destination: PEER_MAC, source: STACK_MAC, etherType: 0x0806 });
    expect(decodeArp(eth.payload)).toEqual({ operation: 2, senderMac: STACK_MAC, senderIp: STACK_IP, targetMac: PEER_MAC, targetIp: PEER_IP });
    expect(stack.stats.arpRepliesSent).toBe(1);
  });

  it('resolves an unknown neighbour by ARP before sending, retries, and drops after the last retry', async () => {
    const { peer, got, stack } = setup({ arpRetryMs: 20 });
    const link = await stack.network.bind({ port: 69 });
    const sent = link.send(Uint8Array.of(1, 2, 3), { address: PEER_IP, port: 2000 });
    await tick();
    const req = decodeArp(decodeEthernet(got[0]!)!.payload)!;
    expect(req).toMatchObject({ operation: 1, targetIp: PEER_IP, senderIp: STACK_IP });
    await peer.send(encodeEthernet({ destination: STACK_MAC, source: PEER_MAC, etherType: 0x0806, payload: encodeArp({ operation: 2, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: STACK_MAC, targetIp: STACK_IP }) }));
    await sent;
    await tick();
    const eth = decodeEthernet(got.at(-1)!)!;
    expect(eth.destination).toBe(PEER_MAC);
    const ip = decodeIpv4(eth.payload);
    if (!ip.ok) throw new Error(ip.reason);
    const udp = decodeUdp(ip.packet.payload, ip.packet.source, ip.packet.destination);
    expect(udp.ok && udp.checksumPresent).toBe(true);
    expect(udp.ok && [...udp.datagram.payload]).toEqual([1, 2, 3]);

    got.length = 0;
    await link.send(Uint8Array.of(9), { address: '192.0.2.200', port: 1 }); // nobody answers ARP
    expect(got.filter((f) => decodeEthernet(f)!.etherType === 0x0806)).toHaveLength(3);
    expect(stack.stats.dropped['send-arp-failed']).toBe(1);
  });
});

describe('UDP demultiplexing and taps', () => {
  it('delivers to the bound port with addresses; counts unbound ports; shows every datagram and frame to taps', async () => {
    const { peer, stack } = setup();
    const link = await stack.network.bind({ address: '0.0.0.0', port: 67 });
    expect(link.local).toEqual({ address: STACK_IP, port: 67 });
    const recv: Datagram[] = [];
    link.onMessage((d) => recv.push(d));
    const seen: ObservedUdp[] = [];
    const frames: Uint8Array[] = [];
    stack.onUdp((d) => seen.push(d));
    stack.onFrame((f) => frames.push(f));
    await peer.send(udpFrame({ from: '0.0.0.0', to: '255.255.255.255', dstMac: 'ff:ff:ff:ff:ff:ff', sport: 68, dport: 67, data: Uint8Array.of(1) }));
    await peer.send(udpFrame({ sport: 1234, dport: 67, data: Uint8Array.of(2) }));
    await peer.send(udpFrame({ sport: 1234, dport: 5555, data: Uint8Array.of(3) }));
    // The payload's nonce broadcast: to the directed broadcast, a port nobody binds.
    await peer.send(udpFrame({ to: '192.0.2.255', dstMac: 'ff:ff:ff:ff:ff:ff', sport: 4000, dport: 4000, data: new TextEncoder().encode('BOARDKIT nonce=abc') }));
    await tick();
    expect(recv.map((d) => [d.from, d.to, [...d.data]])).toEqual([
      [{ address: '0.0.0.0', port: 68 }, { address: '255.255.255.255', port: 67 }, [1]],
      [{ address: PEER_IP, port: 1234 }, { address: STACK_IP, port: 67 }, [2]],
    ]);
    expect(stack.stats.dropped['udp-no-listener']).toBe(2);
    expect(frames).toHaveLength(4);
    const nonce = seen.find((s) => s.to.port === 4000)!;
    expect(nonce).toMatchObject({ broadcast: true, sourceMac: PEER_MAC, from: { address: PEER_IP, port: 4000 } });
    expect(new TextDecoder().decode(nonce.data)).toBe('BOARDKIT nonce=abc');
  });

  it('waitForUdp resolves on the first matching datagram (the payload nonce check) and times out otherwise', async () => {
    const { peer, stack } = setup();
    const nonce = 'n-' + Math.random().toString(36).slice(2);
    const waiting = stack.waitForUdp((d) => d.broadcast && new TextDecoder().decode(d.data).includes(`nonce=${nonce}`), { timeoutMs: 1000 });
    await peer.send(udpFrame({ to: '255.255.255.255', dstMac: 'ff:ff:ff:ff:ff:ff', sport: 9, dport: 9, data: new TextEncoder().encode('BOARDKIT nonce=wrong') }));
    await peer.send(udpFrame({ to: '255.255.255.255', dstMac: 'ff:ff:ff:ff:ff:ff', sport: 9, dport: 9, data: new TextEncoder().encode(`BOARDKIT nonce=${nonce}`) }));
    const got = await waiting;
    expect(got.sourceMac).toBe(PEER_MAC);
    await expect(stack.waitForUdp(() => true, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    const ac = new AbortController();
    const aborted = stack.waitForUdp(() => true, { timeoutMs: 5000, signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('refuses fragments, bad IP/UDP checksums, and frames for other MACs', async () => {
    const { peer, stack } = setup();
    const link = await stack.network.bind({ port: 69 });
    const recv: Datagram[] = [];
    link.onMessage((d) => recv.push(d));
    await peer.send(udpFrame({ sport: 1, dport: 69, data: Uint8Array.of(1), fragment: true }));
    const badUdp = udpFrame({ sport: 1, dport: 69, data: Uint8Array.of(1, 2) });
    badUdp[14 + 20 + 8] = badUdp[14 + 20 + 8]! ^ 0xff;
    await peer.send(badUdp);
    const badIp = udpFrame({ sport: 1, dport: 69, data: Uint8Array.of(1) });
    badIp[14 + 8] = badIp[14 + 8]! ^ 1; // TTL changed, header checksum now wrong
    await peer.send(badIp);
    await peer.send(udpFrame({ sport: 1, dport: 69, data: Uint8Array.of(1), dstMac: '02:00:00:00:00:99' }));
    await tick();
    expect(recv).toHaveLength(0);
    // An observer still sees the datagram addressed to another MAC (payload reports may be unicast anywhere).
    const seen: ObservedUdp[] = [];
    stack.onUdp((d) => seen.push(d));
    await peer.send(udpFrame({ sport: 1, dport: 69, data: Uint8Array.of(7), dstMac: '02:00:00:00:00:99' }));
    await tick();
    expect(recv).toHaveLength(0);
    expect(seen.map((d) => [d.destinationMac, [...d.data]])).toEqual([['02:00:00:00:00:99', [7]]]);
    expect(stack.stats.dropped).toMatchObject({ 'ip-fragment': 1, 'udp-checksum': 1, 'ip-checksum': 1, 'not-for-us': 2 });
  });

  it('binds port 0 to distinct ephemeral ports, refuses a second bind and foreign addresses, refuses oversize datagrams', async () => {
    const { stack } = setup();
    const a = await stack.network.bind({ port: 0 });
    const b = await stack.network.bind({ address: STACK_IP, port: 0 });
    expect(a.local.port).not.toBe(b.local.port);
    expect(a.local.port).toBeGreaterThanOrEqual(49152);
    await stack.network.bind({ port: 69 });
    await expect(stack.network.bind({ port: 69 })).rejects.toThrow(/already bound/);
    await expect(stack.network.bind({ address: '198.51.100.1', port: 70 })).rejects.toThrow(/has address/);
    await expect(a.send(new Uint8Array(1473), { address: '255.255.255.255', port: 1 })).rejects.toThrow(/MTU/);
    await a.send(new Uint8Array(1472), { address: '255.255.255.255', port: 1 }); // exactly fits 1500
    await a.close();
    await expect(a.send(Uint8Array.of(1), { address: '255.255.255.255', port: 1 })).rejects.toThrow(/closed/);
    expect((await stack.network.bind({ port: a.local.port })).local.port).toBe(a.local.port); // port freed
  });
});

describe('ICMP echo', () => {
  it('answers ping with identifier, sequence and data unchanged', async () => {
    const { peer, got, stack } = setup();
    const rest = Uint8Array.of(0x12, 0x34, 0x00, 0x07, ...new TextEncoder().encode('ping-data'));
    const ip = encodeIpv4({ source: PEER_IP, destination: STACK_IP, protocol: 1, payload: encodeIcmp({ type: 8, code: 0, rest }) });
    await peer.send(encodeEthernet({ destination: STACK_MAC, source: PEER_MAC, etherType: 0x0800, payload: ip }));
    await tick();
    expect(got).toHaveLength(1);
    const eth = decodeEthernet(got[0]!)!;
    expect(eth.destination).toBe(PEER_MAC);
    const r = decodeIpv4(eth.payload);
    if (!r.ok) throw new Error(r.reason);
    expect(r.packet).toMatchObject({ source: STACK_IP, destination: PEER_IP, protocol: 1 });
    const icmp = decodeIcmp(r.packet.payload)!;
    expect(icmp.type).toBe(0);
    expect([...icmp.rest]).toEqual([...rest]);
    expect(stack.stats.echoRepliesSent).toBe(1);
  });
});

describe('two stacks over a faulty cable (seeded loss/dup/reorder)', () => {
  it('delivers a subset of what was sent, with duplicates and reordering visible, and ARP recovers from loss', async () => {
    const { a, b } = createFakeFrameLinkPair({
      seed: 42,
      aToB: { loss: 0.2, duplicate: 0.1, reorder: 0.2 },
      bToA: { loss: 0.2, duplicate: 0.1, reorder: 0.2 },
    });
    const s1 = new UserspaceStack({ link: a, mac: STACK_MAC, ip: STACK_IP, arpRetryMs: 10, arpRetries: 10 });
    const s2 = new UserspaceStack({ link: b, mac: PEER_MAC, ip: PEER_IP, arpRetryMs: 10, arpRetries: 10 });
    cleanup.push(() => s1.close(), () => s2.close());
    const server = await s1.network.bind({ port: 7 });
    const client = await s2.network.bind({ port: 0 });
    const received: number[] = [];
    server.onMessage((d) => received.push(d.data[0]! | (d.data[1]! << 8)));
    for (let i = 0; i < 300; i++) await client.send(Uint8Array.of(i & 0xff, i >> 8), { address: STACK_IP, port: 7 });
    await new Promise((r) => setTimeout(r, 50));
    const unique = new Set(received);
    expect([...unique].every((v) => v >= 0 && v < 300)).toBe(true);
    expect(unique.size).toBeGreaterThan(180); // ~20 % loss
    expect(unique.size).toBeLessThan(300);
    expect(received.length).toBeGreaterThan(unique.size); // duplicates delivered
    expect(received.some((v, i) => i > 0 && v < received[i - 1]! && !received.slice(0, i).includes(v))).toBe(true); // reordering
    expect(a.stats.dropped + b.stats.dropped).toBeGreaterThan(0);
    // Same seed, same pattern: the fake is reproducible.
    const again = createFakeFrameLinkPair({ seed: 42, aToB: { loss: 0.5 } });
    const again2 = createFakeFrameLinkPair({ seed: 42, aToB: { loss: 0.5 } });
    for (let i = 0; i < 50; i++) {
      await again.a.send(Uint8Array.of(i));
      await again2.a.send(Uint8Array.of(i));
    }
    expect(again.a.stats).toEqual(again2.a.stats);
  });
});
