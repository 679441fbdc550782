/**
 * The pure DHCP engine: RFC 2131 §4.3 server behaviour, BOOTP, proxyDHCP (PXE 2.1), vendor-class
 * and architecture matching. Client messages are built with the (byte-tested) codec.
 */
import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp, type DhcpMessage } from '../../src/protocols/dhcp/codec.js';
import { DhcpEngine, type DhcpEngineOutput } from '../../src/protocols/dhcp/engine.js';
import type { DhcpEngineConfig } from '../../src/protocols/dhcp/config.js';
import { asciiOf, messageTypeOf, raspberryPiBootOption } from '../../src/protocols/dhcp/options.js';
import { parseIpv4, parseMac } from '../../src/protocols/net/address.js';
import { UsageError } from '../../src/core/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);
const SERVER: DhcpEngineConfig = {
  mode: 'full',
  serverIp: '192.0.2.1',
  subnetMask: '255.255.255.0',
  router: '192.0.2.254',
  pool: { first: '192.0.2.100', last: '192.0.2.102' },
  leaseSeconds: 600,
  defaultBootfile: 'boot.scr.uimg',
};

interface ClientMsg {
  type?: number; // option 53; omit for BOOTP
  mac?: string;
  xid?: number;
  vendorClass?: string;
  arch?: number[];
  requested?: string;
  serverId?: string;
  ciaddr?: string;
  cookie?: boolean;
}

function client(m: ClientMsg): Uint8Array {
  const options: Array<[number, Uint8Array]> = [];
  if (m.type !== undefined) options.push([53, Uint8Array.of(m.type)]);
  if (m.requested) options.push([50, parseIpv4(m.requested)]);
  if (m.serverId) options.push([54, parseIpv4(m.serverId)]);
  if (m.vendorClass) options.push([60, enc(m.vendorClass)]);
  if (m.arch) options.push([93, Uint8Array.from(m.arch.flatMap((a) => [a >> 8, a & 0xff]))]);
  return encodeDhcp({
    op: 1,
    xid: m.xid ?? 0x1234,
    chaddr: parseMac(m.mac ?? '52:54:00:12:34:56'),
    ciaddr: m.ciaddr ?? '0.0.0.0',
    ...(m.cookie === false ? {} : { options }),
  });
}

function only(out: DhcpEngineOutput): { msg: DhcpMessage; to: { address: string; port: number } } {
  expect(out.replies).toHaveLength(1);
  const r = decodeDhcp(out.replies[0]!.data);
  if (!r.ok) throw new Error(`reply does not decode: ${r.reason}`);
  return { msg: r.message, to: out.replies[0]!.to };
}

const UBOOT = { vendorClass: 'U-Boot' };

describe('server mode (RFC 2131 §4.3)', () => {
  it('DISCOVER → OFFER with siaddr, file, 54/1/3/51/58/59, broadcast to 68', () => {
    const e = new DhcpEngine(SERVER);
    const out = e.handle(client({ type: 1, ...UBOOT }), 0);
    const { msg, to } = only(out);
    expect(messageTypeOf(msg)).toBe('offer');
    expect(msg).toMatchObject({ op: 2, xid: 0x1234, yiaddr: '192.0.2.100', siaddr: '192.0.2.1', file: 'boot.scr.uimg' });
    expect([...msg.options.get(54)!]).toEqual([192, 0, 2, 1]);
    expect([...msg.options.get(1)!]).toEqual([255, 255, 255, 0]);
    expect([...msg.options.get(3)!]).toEqual([192, 0, 2, 254]);
    expect([...msg.options.get(51)!]).toEqual([0, 0, 0x02, 0x58]);
    expect([...msg.options.get(58)!]).toEqual([0, 0, 0x01, 0x2c]);
    expect(msg.options.has(66)).toBe(false);
    expect(to).toEqual({ address: '255.255.255.255', port: 68 });
    expect(out.events).toContainEqual(expect.objectContaining({ type: 'offer', mac: '52:54:00:12:34:56', yiaddr: '192.0.2.100', proxy: false, bootfile: 'boot.scr.uimg' }));
  });

  it('REQUEST (selecting) → ACK and a bound lease; INIT-REBOOT and RENEW re-ACK; a wrong address gets NAK', () => {
    const e = new DhcpEngine(SERVER);
    e.handle(client({ type: 1, ...UBOOT }), 0);
    const ack = only(e.handle(client({ type: 3, requested: '192.0.2.100', serverId: '192.0.2.1', ...UBOOT }), 10));
    expect(messageTypeOf(ack.msg)).toBe('ack');
    expect(ack.msg.yiaddr).toBe('192.0.2.100');
    expect(e.leases(10)).toEqual([{ mac: '52:54:00:12:34:56', ip: '192.0.2.100', state: 'bound', expiresAt: 10 + 600_000 }]);
    expect(messageTypeOf(only(e.handle(client({ type: 3, requested: '192.0.2.100', ...UBOOT }), 20)).msg)).toBe('ack');
    const renew = only(e.handle(client({ type: 3, ciaddr: '192.0.2.100', ...UBOOT }), 30));
    expect(messageTypeOf(renew.msg)).toBe('ack');
    expect(renew.to).toEqual({ address: '192.0.2.100', port: 68 }); // unicast to ciaddr
    const nak = only(e.handle(client({ type: 3, requested: '192.0.2.101', ...UBOOT }), 40));
    expect(messageTypeOf(nak.msg)).toBe('nak');
    expect(nak.msg.yiaddr).toBe('0.0.0.0');
    expect(nak.to.address).toBe('255.255.255.255');
    const nak2 = only(e.handle(client({ type: 3, requested: '198.51.100.7', serverId: '192.0.2.1', ...UBOOT }), 50));
    expect(messageTypeOf(nak2.msg)).toBe('nak');
  });

  it('stays silent for a REQUEST to another server and frees the held offer', () => {
    const e = new DhcpEngine(SERVER);
    e.handle(client({ type: 1, ...UBOOT }), 0);
    const out = e.handle(client({ type: 3, requested: '192.0.2.100', serverId: '192.0.2.9', ...UBOOT }), 1);
    expect(out.replies).toHaveLength(0);
    expect(out.events).toContainEqual(expect.objectContaining({ type: 'ignored', reason: 'other-server' }));
    expect(e.leases(1)).toEqual([]);
  });

  it('honours a requested address in DISCOVER, keeps one address per MAC, reclaims stale offers, reports exhaustion', () => {
    const e = new DhcpEngine(SERVER);
    expect(only(e.handle(client({ type: 1, requested: '192.0.2.102', ...UBOOT }), 0)).msg.yiaddr).toBe('192.0.2.102');
    expect(only(e.handle(client({ type: 1, ...UBOOT }), 1)).msg.yiaddr).toBe('192.0.2.102');
    expect(only(e.handle(client({ type: 1, mac: '52:54:00:00:00:02', ...UBOOT }), 2)).msg.yiaddr).toBe('192.0.2.100');
    expect(only(e.handle(client({ type: 1, mac: '52:54:00:00:00:03', ...UBOOT }), 3)).msg.yiaddr).toBe('192.0.2.101');
    // Pool full of mere offers: the oldest offer (192.0.2.102, made at t=0) is taken back.
    expect(only(e.handle(client({ type: 1, mac: '52:54:00:00:00:04', ...UBOOT }), 4)).msg.yiaddr).toBe('192.0.2.102');
    // Bind everything; then a newcomer finds the pool exhausted.
    for (const [mac, ip] of [['52:54:00:00:00:02', '192.0.2.100'], ['52:54:00:00:00:03', '192.0.2.101'], ['52:54:00:00:00:04', '192.0.2.102']] as const) {
      expect(messageTypeOf(only(e.handle(client({ type: 3, mac, requested: ip, serverId: '192.0.2.1', ...UBOOT }), 5)).msg)).toBe('ack');
    }
    const out = e.handle(client({ type: 1, mac: '52:54:00:00:00:05', ...UBOOT }), 6);
    expect(out.replies).toHaveLength(0);
    expect(out.events).toContainEqual(expect.objectContaining({ type: 'ignored', reason: 'pool-exhausted' }));
    // Leases expire (600 s): the address comes back.
    expect(only(e.handle(client({ type: 1, mac: '52:54:00:00:00:05', ...UBOOT }), 601_000)).msg.yiaddr).toBe('192.0.2.100');
  });

  it('RELEASE frees the lease; DECLINE takes the address out of the pool', () => {
    const e = new DhcpEngine(SERVER);
    e.handle(client({ type: 1, ...UBOOT }), 0);
    e.handle(client({ type: 3, requested: '192.0.2.100', serverId: '192.0.2.1', ...UBOOT }), 0);
    const rel = e.handle(client({ type: 7, ciaddr: '192.0.2.100', serverId: '192.0.2.1', ...UBOOT }), 1);
    expect(rel.replies).toHaveLength(0);
    expect(rel.events).toContainEqual({ type: 'release', mac: '52:54:00:12:34:56', ip: '192.0.2.100' });
    expect(e.leases(1)).toEqual([]);
    e.handle(client({ type: 4, requested: '192.0.2.100', serverId: '192.0.2.1', ...UBOOT }), 2);
    expect(only(e.handle(client({ type: 1, ...UBOOT }), 3)).msg.yiaddr).toBe('192.0.2.101');
  });

  it('INFORM → ACK with configuration but no yiaddr and no lease time, unicast to ciaddr', () => {
    const e = new DhcpEngine(SERVER);
    const { msg, to } = only(e.handle(client({ type: 8, ciaddr: '192.0.2.50', ...UBOOT }), 0));
    expect(messageTypeOf(msg)).toBe('ack');
    expect(msg.yiaddr).toBe('0.0.0.0');
    expect(msg.options.has(51)).toBe(false);
    expect(msg.options.has(1)).toBe(true);
    expect(to).toEqual({ address: '192.0.2.50', port: 68 });
  });

  it('answers configured MACs (fixed address, own boot file) but never an unknown plain client', () => {
    const e = new DhcpEngine({ ...SERVER, hosts: [{ mac: '02:AA:00:00:00:01', ip: '192.0.2.20', bootfile: 'fixed.bin', hostname: 'dut1' }] });
    const plain = e.handle(client({ type: 1, mac: '02:aa:00:00:00:02' }), 0);
    expect(plain.replies).toHaveLength(0);
    expect(plain.events).toContainEqual(expect.objectContaining({ type: 'ignored', reason: 'not-eligible' }));
    const { msg } = only(e.handle(client({ type: 1, mac: '02:aa:00:00:00:01' }), 0));
    expect(msg).toMatchObject({ yiaddr: '192.0.2.20', file: 'fixed.bin' });
    expect(asciiOf(msg.options.get(12)!)).toBe('dut1');
    expect(messageTypeOf(only(e.handle(client({ type: 3, mac: '02:aa:00:00:00:01', requested: '192.0.2.20', serverId: '192.0.2.1' }), 1)).msg)).toBe('ack');
  });

  it('onlyKnownHosts refuses boot-capable strangers', () => {
    const e = new DhcpEngine({ ...SERVER, onlyKnownHosts: true });
    expect(e.handle(client({ type: 1, ...UBOOT }), 0).replies).toHaveLength(0);
  });

  it('sets options 66/67 when asked (U-Boot uses siaddr/file; other clients read 66/67)', () => {
    const e = new DhcpEngine({ ...SERVER, tftpOptions: true });
    const { msg } = only(e.handle(client({ type: 1, ...UBOOT }), 0));
    expect(asciiOf(msg.options.get(66)!)).toBe('192.0.2.1');
    expect(asciiOf(msg.options.get(67)!)).toBe('boot.scr.uimg');
  });

  it.each([
    [7, 'bootx64.efi'],
    [9, 'bootx64.efi'],
    [6, 'bootia32.efi'],
    [11, 'bootaa64.efi'],
    [27, 'bootriscv64.efi'],
  ])('PXE client arch %i gets %s, with option 60 PXEClient and 43 direct boot', (arch, file) => {
    const e = new DhcpEngine({ ...SERVER, defaultBootfile: undefined });
    const { msg } = only(e.handle(client({ type: 1, vendorClass: `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016`, arch: [arch] }), 0));
    expect(msg.file).toBe(file);
    expect(asciiOf(msg.options.get(60)!)).toBe('PXEClient');
    expect([...msg.options.get(43)!]).toEqual([6, 1, 8, 255]);
  });

  it('U-Boot vendor classes with an arch suffix match U-Boot*', () => {
    const e = new DhcpEngine(SERVER);
    expect(only(e.handle(client({ type: 1, vendorClass: 'U-Boot.armv8' }), 0)).msg.yiaddr).toBe('192.0.2.100');
  });
});

describe('BOOTP (no option 53)', () => {
  it('answers a configured MAC with a BOOTREPLY; ignores unknown MACs even with a boot vendor class', () => {
    const e = new DhcpEngine({ ...SERVER, hosts: [{ mac: '02:aa:00:00:00:01', bootfile: 'bootp.bin' }] });
    const bare = only(e.handle(client({ mac: '02:aa:00:00:00:01', cookie: false }), 0));
    expect(bare.msg).toMatchObject({ op: 2, yiaddr: '192.0.2.100', siaddr: '192.0.2.1', file: 'bootp.bin', hasCookie: false });
    expect(bare.msg.options.size).toBe(0);
    const withCookie = only(e.handle(client({ mac: '02:aa:00:00:00:01' }), 1));
    expect(withCookie.msg.yiaddr).toBe('192.0.2.100'); // same binding
    expect(withCookie.msg.options.has(53)).toBe(false);
    expect([...withCookie.msg.options.get(1)!]).toEqual([255, 255, 255, 0]);
    const stranger = e.handle(client({ mac: '02:aa:00:00:00:09', ...UBOOT }), 2);
    expect(stranger.replies).toHaveLength(0);
    expect(stranger.events).toContainEqual(expect.objectContaining({ reason: 'bootp-unknown-host' }));
  });
});

describe('proxy mode (PXE 2.1 proxyDHCP)', () => {
  const PROXY: DhcpEngineConfig = { mode: 'proxy', serverIp: '192.0.2.1' };

  it('offers a Raspberry Pi boot info only: yiaddr 0, 60 PXEClient, 43 "Raspberry Pi Boot   "', () => {
    const e = new DhcpEngine(PROXY);
    const out = e.handle(client({ type: 1, mac: 'dc:a6:32:01:36:c2', vendorClass: 'PXEClient:Arch:00000:UNDI:002001', arch: [0] }), 0);
    const { msg, to } = only(out);
    expect(messageTypeOf(msg)).toBe('offer');
    expect(msg.yiaddr).toBe('0.0.0.0');
    expect(msg.siaddr).toBe('192.0.2.1');
    expect(msg.options.has(51)).toBe(false);
    expect(msg.options.has(1)).toBe(false);
    expect(asciiOf(msg.options.get(60)!)).toBe('PXEClient');
    expect([...msg.options.get(43)!]).toEqual([...raspberryPiBootOption()]);
    expect(asciiOf(msg.options.get(43)!)).toContain('Raspberry Pi Boot   ');
    expect([...msg.options.get(54)!]).toEqual([192, 0, 2, 1]);
    expect(to).toEqual({ address: '255.255.255.255', port: 68 });
    expect(out.events).toContainEqual(expect.objectContaining({ type: 'offer', proxy: true, rule: 'raspberry-pi', yiaddr: '0.0.0.0' }));
  });

  it('never answers a plain client, even a configured MAC without a boot vendor class', () => {
    const e = new DhcpEngine({ ...PROXY, hosts: [{ mac: '02:aa:00:00:00:01' }] });
    for (const m of [client({ type: 1, mac: '02:aa:00:00:00:01' }), client({ type: 1, vendorClass: 'MSFT 5.0' }), client({ type: 1 })]) {
      const out = e.handle(m, 0);
      expect(out.replies).toHaveLength(0);
      expect(out.events).toContainEqual(expect.objectContaining({ type: 'ignored', reason: 'not-eligible' }));
    }
  });

  it('ignores the REQUEST meant for the address server, ACKs one on port 4011', () => {
    const e = new DhcpEngine(PROXY);
    const pxe = { vendorClass: 'PXEClient:Arch:00007:UNDI:003016', arch: [7] };
    expect(e.handle(client({ type: 3, requested: '198.51.100.5', serverId: '198.51.100.1', ...pxe }), 0).replies).toHaveLength(0);
    const { msg, to } = only(e.handle(client({ type: 3, ciaddr: '198.51.100.5', ...pxe }), 0, 4011));
    expect(messageTypeOf(msg)).toBe('ack');
    expect(msg.file).toBe('bootx64.efi');
    expect(to).toEqual({ address: '198.51.100.5', port: 68 });
  });
});

describe('configuration and hostile input', () => {
  it('reports every configuration problem at once', () => {
    try {
      new DhcpEngine({ mode: 'full', serverIp: '192.0.2.1', subnetMask: '255.255.255.0', pool: { first: '10.9.9.1', last: '10.9.9.9' }, hosts: [{ mac: 'nope' }] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).details.problems).toEqual(["hosts[].mac 'nope' is not a MAC address", 'pool lies outside the subnet of serverIp/subnetMask']);
    }
    expect(() => new DhcpEngine({ mode: 'full', serverIp: '192.0.2.1' })).toThrow(/subnetMask/);
    expect(() => new DhcpEngine({ ...SERVER, defaultBootfile: 'x'.repeat(128) })).toThrow(/defaultBootfile/);
    const publicPool = { ...SERVER, serverIp: '8.8.8.1', pool: { first: '8.8.8.100', last: '8.8.8.110' } };
    expect(() => new DhcpEngine(publicPool)).toThrow(/private\/test address ranges/);
    expect(() => new DhcpEngine({ ...publicPool, allowPublicPool: true })).not.toThrow();
    expect(() => new DhcpEngine({ ...SERVER, serverIp: '10.0.2.2', pool: { first: '10.0.2.15', last: '10.0.2.20' } })).not.toThrow();
    expect(() => new DhcpEngine({ ...SERVER, hosts: [{ mac: '02:00:00:00:00:01', hostname: 'dütt' }] })).toThrow(/hostname/);
    expect(() => new DhcpEngine({ ...SERVER, pool: { first: '192.0.0.1', last: '192.0.255.254' }, subnetMask: '255.255.0.0' })).toThrow(/at most/);
  });

  it('ignores replies, non-Ethernet hardware and unknown message types', () => {
    const e = new DhcpEngine(SERVER);
    const reply = client({ type: 1, ...UBOOT });
    reply[0] = 2;
    expect(e.handle(reply, 0).events).toContainEqual(expect.objectContaining({ type: 'ignored', reason: 'not-a-request' }));
    const tr = client({ type: 1, ...UBOOT });
    tr[1] = 6;
    expect(e.handle(tr, 0).events).toContainEqual(expect.objectContaining({ reason: 'not-ethernet' }));
    expect(e.handle(client({ type: 42, ...UBOOT }), 0).events).toContainEqual(expect.objectContaining({ type: 'malformed', reason: 'message-type' }));
    expect(e.handle(client({ type: 2, ...UBOOT }), 0).replies).toHaveLength(0);
  });
});
