/**
 * DhcpServer over the userspace stack over a fake cable. The client side is a small DHCP client
 * written here on raw frames (0.0.0.0:68 → 255.255.255.255:67, retransmitting like U-Boot), so
 * the server is exercised exactly as a boot ROM would, including on a lossy, duplicating,
 * reordering link.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeFrameLinkPair, seededRandom, type FakeFrameLinkOptions } from '../../src/transports/fake/fake-frame-link.js';
import { UserspaceStack } from '../../src/transports/userspace-stack.js';
import { DhcpServer, type DhcpServerEvent, type DhcpServerOptions } from '../../src/netboot/dhcp-server.js';
import { decodeDhcp, encodeDhcp, type DhcpMessage } from '../../src/protocols/dhcp/codec.js';
import { messageTypeOf } from '../../src/protocols/dhcp/options.js';
import { decodeEthernet, encodeEthernet } from '../../src/protocols/net/ethernet.js';
import { decodeIpv4, encodeIpv4 } from '../../src/protocols/net/ipv4.js';
import { decodeUdp, encodeUdp } from '../../src/protocols/net/udp.js';
import { formatIpv4, parseIpv4, parseMac } from '../../src/protocols/net/address.js';
import type { FrameLink } from '../../src/transports/frame-link.js';

const SERVER_IP = '192.0.2.1';
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function setup(faults: FakeFrameLinkOptions, options: Partial<DhcpServerOptions> = {}) {
  const { a, b } = createFakeFrameLinkPair(faults);
  const stack = new UserspaceStack({ link: a, mac: '02:00:00:00:00:01', ip: SERVER_IP });
  const events: DhcpServerEvent[] = [];
  const server = new DhcpServer({
    network: stack.network,
    mode: 'full',
    serverIp: SERVER_IP,
    subnetMask: '255.255.255.0',
    pool: { first: '192.0.2.100', last: '192.0.2.110' },
    onEvent: (e) => events.push(e),
    ...options,
  } as DhcpServerOptions);
  await server.start();
  cleanup.push(async () => {
    await server.close();
    await stack.close();
  });
  return { server, stack, events, client: b };
}

/** Every DHCP message the far end of the cable receives (a FrameLink has one handler, shared by the clients). */
function attachInbox(link: FrameLink): DhcpMessage[] {
  const inbox: DhcpMessage[] = [];
  link.onFrame((f) => {
      const eth = decodeEthernet(f);
      if (!eth || eth.etherType !== 0x0800) return;
      const ip = decodeIpv4(eth.payload);
      if (!ip.ok) return;
      const udp = decodeUdp(ip.packet.payload, ip.packet.source, ip.packet.destination);
      if (!udp.ok || udp.datagram.destinationPort !== 68) return;
      const d = decodeDhcp(udp.datagram.payload);
      if (d.ok) inbox.push(d.message);
  });
  return inbox;
}

/** A boot-ROM style client on raw frames. */
class RawDhcpClient {
  constructor(
    private readonly link: FrameLink,
    private readonly inbox: DhcpMessage[],
    readonly mac: string,
    private readonly vendorClass = 'U-Boot',
  ) {}

  send(type: number, xid: number, extra: Array<[number, Uint8Array]> = []): Promise<void> {
    const dhcp = encodeDhcp({
      op: 1,
      xid,
      chaddr: parseMac(this.mac),
      options: [[53, Uint8Array.of(type)], [60, new TextEncoder().encode(this.vendorClass)], ...extra],
    });
    const ip = encodeIpv4({ source: '0.0.0.0', destination: '255.255.255.255', protocol: 17, payload: encodeUdp({ sourcePort: 68, destinationPort: 67, payload: dhcp }, '0.0.0.0', '255.255.255.255') });
    return this.link.send(encodeEthernet({ destination: 'ff:ff:ff:ff:ff:ff', source: this.mac, etherType: 0x0800, payload: ip }));
  }

  /** Sends and retransmits every `everyMs` until a reply of `want` type with this xid arrives. */
  async exchange(type: number, xid: number, want: string[], extra: Array<[number, Uint8Array]> = [], tries = 20, everyMs = 10): Promise<{ reply: DhcpMessage; tries: number }> {
    for (let t = 1; t <= tries; t++) {
      await this.send(type, xid, extra);
      await new Promise((r) => setTimeout(r, everyMs));
      const i = this.inbox.findIndex((m) => m.xid === xid && want.includes(messageTypeOf(m) ?? ''));
      if (i >= 0) return { reply: this.inbox.splice(i, 1)[0]!, tries: t };
    }
    throw new Error(`no ${want.join('/')} after ${tries} tries`);
  }

  /** Full DORA; returns the ACK. */
  async dora(xid: number): Promise<DhcpMessage> {
    const offer = await this.exchange(1, xid, ['offer']);
    const ack = await this.exchange(3, xid, ['ack', 'nak'], [[50, parseIpv4(offer.reply.yiaddr)], [54, offer.reply.options.get(54)!]]);
    return ack.reply;
  }
}

describe('DhcpServer over the userspace stack', () => {
  it('completes DORA on a clean link, broadcasting from 192.0.2.1:67 and emitting typed events', async () => {
    const { events, client, server } = await setup({});
    const c = new RawDhcpClient(client, attachInbox(client), '52:54:00:12:34:56');
    const ack = await c.dora(0x11);
    expect(messageTypeOf(ack)).toBe('ack');
    expect(ack.yiaddr).toBe('192.0.2.100');
    expect(formatIpv4(ack.options.get(54)!)).toBe(SERVER_IP);
    expect(events.map((e) => e.type)).toEqual(['listening', 'received', 'offer', 'received', 'ack']);
    expect(server.leases()).toHaveLength(1);
  });

  it.each([
    ['loss', { loss: 0.3 }],
    ['duplication', { duplicate: 0.5 }],
    ['reordering', { reorder: 0.5 }],
    ['all three', { loss: 0.25, duplicate: 0.25, reorder: 0.25 }],
  ])('still leases one address per client under %s', async (_name, f) => {
    const { client, server, events } = await setup({ seed: 7, aToB: f, bToA: f });
    const inbox = attachInbox(client);
    const clients = ['52:54:00:00:00:01', '52:54:00:00:00:02', '52:54:00:00:00:03'].map((m) => new RawDhcpClient(client, inbox, m));
    const acks = await Promise.all(clients.map((c, i) => c.dora(0x100 + i)));
    for (const ack of acks) expect(messageTypeOf(ack)).toBe('ack');
    const leases = server.leases();
    expect(leases.filter((l) => l.state === 'bound')).toHaveLength(3);
    expect(new Set(leases.map((l) => l.ip)).size).toBe(3);
    expect(events.some((e) => e.type === 'nak')).toBe(false);
  });

  it('survives 2,000 mutated datagrams through the stack and still answers a probe', async () => {
    const { client, events } = await setup({});
    const rand = seededRandom(99);
    const c = new RawDhcpClient(client, attachInbox(client), '52:54:00:12:34:56');
    const base = encodeDhcp({ op: 1, xid: 5, chaddr: parseMac('52:54:00:aa:bb:cc'), options: [[53, Uint8Array.of(1)], [60, new TextEncoder().encode('PXEClient')]] });
    for (let i = 0; i < 2000; i++) {
      const m = base.slice(0, Math.max(0, base.length - Math.floor(rand() * 80)));
      for (let k = 0; k < 6; k++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      const ip = encodeIpv4({ source: '0.0.0.0', destination: '255.255.255.255', protocol: 17, payload: encodeUdp({ sourcePort: 68, destinationPort: 67, payload: m }, '0.0.0.0', '255.255.255.255') });
      await client.send(encodeEthernet({ destination: 'ff:ff:ff:ff:ff:ff', source: '52:54:00:aa:bb:cc', etherType: 0x0800, payload: ip }));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.type === 'malformed').length).toBeGreaterThan(100);
    expect(events.some((e) => e.type === 'internal-error')).toBe(false);
    const offer = await c.exchange(1, 0xabc, ['offer']);
    expect(offer.reply.yiaddr).toMatch(/^192\.0\.2\.1(0\d|10)$/);
  });

  it('proxy mode: a Pi ROM gets option 43 "Raspberry Pi Boot   " with yiaddr 0; a plain client gets nothing', async () => {
    const { client, events } = await setup({}, { mode: 'proxy', pool: undefined, subnetMask: undefined, listenPxePort: true } as Partial<DhcpServerOptions>);
    const inbox = attachInbox(client);
    const pi = new RawDhcpClient(client, inbox, 'dc:a6:32:01:36:c2', 'PXEClient:Arch:00000:UNDI:002001');
    const { reply } = await pi.exchange(1, 0x77, ['offer']);
    expect(reply.yiaddr).toBe('0.0.0.0');
    expect(reply.siaddr).toBe(SERVER_IP);
    expect(new TextDecoder().decode(reply.options.get(43)!)).toContain('Raspberry Pi Boot   ');
    const plain = new RawDhcpClient(client, inbox, '52:54:00:00:00:42', 'MSFT 5.0');
    await expect(plain.exchange(1, 0x78, ['offer'], [], 3, 5)).rejects.toThrow(/no offer/);
    expect(events).toContainEqual(expect.objectContaining({ type: 'ignored', reason: 'not-eligible', mac: '52:54:00:00:00:42' }));
    expect(events.filter((e) => e.type === 'listening').map((e) => e.type === 'listening' && e.address.port)).toEqual([67, 4011]);
  });
});
