/**
 * DHCP codec, byte for byte: fixtures laid out by hand from RFC 2131 Figure 1 and RFC 2132, plus a
 * real U-Boot DHCPDISCOVER captured from QEMU (dhcp-fixtures.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp } from '../../src/protocols/dhcp/codec.js';
import { clientArchOf, messageTypeOf, raspberryPiBootOption, vendorClassOf } from '../../src/protocols/dhcp/options.js';
import { decodeEthernet } from '../../src/protocols/net/ethernet.js';
import { decodeIpv4 } from '../../src/protocols/net/ipv4.js';
import { decodeUdp } from '../../src/protocols/net/udp.js';
import { UBOOT_DISCOVER_FRAME_HEX } from './dhcp-fixtures.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const zeros = (n: number) => '00'.repeat(n);
const asciiHex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

/** RFC 2131 Figure 1, field by field: a Raspberry Pi 4 style PXE DHCPDISCOVER. */
function piDiscover(options: string, total = 300): Uint8Array {
  const fixed =
    '01' + '01' + '06' + '00' + // op BOOTREQUEST, htype Ethernet, hlen 6, hops 0
    '26f30339' + // xid
    '0004' + '8000' + // secs 4, flags BROADCAST
    zeros(4) + zeros(4) + zeros(4) + zeros(4) + // ciaddr yiaddr siaddr giaddr
    'dca6320136c2' + zeros(10) + // chaddr (16)
    zeros(64) + zeros(128); // sname, file
  const body = fixed + '63825363' + options;
  return hex(body + zeros(Math.max(0, total - body.length / 2)));
}

const PI_OPTIONS =
  '350101' + // 53 DHCPDISCOVER
  '3704' + '01032b3c' + // 55 parameter request list: 1, 3, 43, 60
  '3c20' + asciiHex('PXEClient:Arch:00000:UNDI:002001') + // 60 vendor class (32 bytes)
  '5d020000' + // 93 arch 0
  '5e03010201' + // 94 NDI UNDI 2.1
  'ff';

describe('decodeDhcp on hand-built RFC 2131 messages', () => {
  it('reads every fixed field and option', () => {
    const r = decodeDhcp(piDiscover(PI_OPTIONS));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.message;
    expect(m).toMatchObject({ op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x26f30339, secs: 4, flags: 0x8000, ciaddr: '0.0.0.0', sname: '', file: '', hasCookie: true });
    expect(toHex(m.chaddr)).toBe('dca6320136c2' + zeros(10));
    expect(messageTypeOf(m)).toBe('discover');
    expect(vendorClassOf(m)).toBe('PXEClient:Arch:00000:UNDI:002001');
    expect(clientArchOf(m)).toEqual([0]);
    expect([...m.options.keys()]).toEqual([53, 55, 60, 93, 94]);
  });

  it('refuses short messages and options running past the end', () => {
    expect(decodeDhcp(new Uint8Array(235))).toEqual({ ok: false, reason: 'short' });
    const trunc = hex(toHex(piDiscover('350101', 0)) + '3c05' + asciiHex('abc'));
    expect(decodeDhcp(trunc)).toMatchObject({ ok: false, reason: 'option-truncated' });
    const noLen = hex(toHex(piDiscover('', 0)) + '35');
    expect(decodeDhcp(noLen)).toMatchObject({ ok: false, reason: 'option-truncated' });
  });

  it.each([
    ['53 with 2 bytes', '35020101ff'],
    ['54 with 3 bytes', '3603c00002ff'],
    ['50 with 5 bytes', '3205c000020101ff'],
    ['1 with 3 bytes', '0103ffffffff'],
    ['3 with 6 bytes', '0306c0000201c000ff'],
    ['57 with 1 byte', '390102ff'],
    ['93 with odd length', '5d03000007ff'],
    ['97 with 16 bytes', '6110' + zeros(16) + 'ff'],
    ['61 with 1 byte', '3d0101ff'],
    ['52 with 0 bytes', '3400ff'],
  ])('checks defined option lengths: %s', (_name, opts) => {
    expect(decodeDhcp(piDiscover(opts))).toMatchObject({ ok: false, reason: 'option-length' });
  });

  it('concatenates a repeated option (RFC 3396) and skips pads', () => {
    const r = decodeDhcp(piDiscover('350101' + '0000' + '3c03' + asciiHex('PXE') + '3c06' + asciiHex('Client') + 'ff'));
    expect(r.ok && vendorClassOf(r.message)).toBe('PXEClient');
  });

  it('reads options overloaded into file and sname (RFC 2132 §9.3)', () => {
    const base = piDiscover('350103' + '340103' + 'ff');
    base.set(hex('3c03' + asciiHex('U-B') + 'ff'), 108); // file area
    base.set(hex('3c03' + asciiHex('oot') + 'ff'), 44); // sname area (parsed after file)
    const r = decodeDhcp(base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(vendorClassOf(r.message)).toBe('U-Boot');
    expect(r.message.file).toBe('');
    expect(r.message.sname).toBe('');
    const bad = piDiscover('350101' + '340104' + 'ff');
    expect(decodeDhcp(bad)).toMatchObject({ ok: false, reason: 'overload' });
  });

  it('accepts plain BOOTP (no magic cookie) with no options', () => {
    const b = piDiscover('', 300);
    b.fill(0, 236, 240);
    const r = decodeDhcp(b);
    expect(r.ok && r.message.hasCookie).toBe(false);
    expect(r.ok && r.message.options.size).toBe(0);
  });
});

describe('encodeDhcp', () => {
  it('lays out a DHCPOFFER byte for byte', () => {
    const got = encodeDhcp({
      op: 2,
      xid: 0x26f30339,
      flags: 0x8000,
      chaddr: hex('dca6320136c2'),
      yiaddr: '192.0.2.100',
      siaddr: '192.0.2.1',
      file: 'boot.scr.uimg',
      options: [
        [53, Uint8Array.of(2)],
        [54, hex('c0000201')],
        [51, hex('00000e10')],
        [1, hex('ffffff00')],
      ],
    });
    const expected =
      '02010600' + '26f30339' + '0000' + '8000' +
      '00000000' + 'c0000264' + 'c0000201' + '00000000' +
      'dca6320136c2' + zeros(10) +
      zeros(64) +
      asciiHex('boot.scr.uimg') + zeros(128 - 13) +
      '63825363' + '350102' + '3604c0000201' + '330400000e10' + '0104ffffff00' + 'ff';
    expect(toHex(got)).toBe(expected + zeros(300 - expected.length / 2));
  });

  it('splits options longer than 255 bytes (RFC 3396) and refuses a file that does not fit', () => {
    const long = new Uint8Array(300).fill(0x41);
    const m = encodeDhcp({ op: 2, xid: 1, chaddr: new Uint8Array(6), options: [[43, long]] });
    expect(toHex(m.subarray(240, 242))).toBe('2bff');
    expect(toHex(m.subarray(240 + 257, 240 + 259))).toBe('2b2d');
    const back = decodeDhcp(m);
    expect(back.ok && back.message.options.get(43)?.length).toBe(300);
    expect(() => encodeDhcp({ op: 2, xid: 1, chaddr: new Uint8Array(6), file: 'x'.repeat(128) })).toThrow(RangeError);
  });

  it('builds option 43 "Raspberry Pi Boot" exactly as docs/netboot-facts.md §3 shows, and with the Pi 3 padding', () => {
    expect(toHex(raspberryPiBootOption('Raspberry Pi Boot'))).toBe('0601030a04005058450914000011' + asciiHex('Raspberry Pi Boot') + 'ff');
    // Default: three trailing spaces (20-byte description, item length 23).
    expect(toHex(raspberryPiBootOption())).toBe('0601030a04005058450917000014' + asciiHex('Raspberry Pi Boot   ') + 'ff');
  });
});

describe('a real U-Boot DHCPDISCOVER (QEMU capture)', () => {
  const eth = decodeEthernet(hex(UBOOT_DISCOVER_FRAME_HEX))!;
  const ip = decodeIpv4(eth.payload);
  if (!ip.ok) throw new Error('fixture IPv4 invalid');
  const udp = decodeUdp(ip.packet.payload, ip.packet.source, ip.packet.destination);
  if (!udp.ok) throw new Error('fixture UDP invalid');
  const payload = udp.datagram.payload;

  it('decodes what U-Boot 2023.01 on RISC-V sends', () => {
    const r = decodeDhcp(payload);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.message;
    expect(formatChaddr(m.chaddr)).toBe('52:54:00:12:34:56');
    expect(messageTypeOf(m)).toBe('discover');
    expect(vendorClassOf(m)).toBe('U-Boot'); // plain "U-Boot" on RISC-V (no arch suffix)
    expect(clientArchOf(m)).toEqual([]); // no option 93 on RISC-V
    expect([...m.options.keys()]).toEqual([53, 57, 94, 60, 55]);
    expect([...m.options.get(55)!]).toEqual([1, 3, 6, 12, 17]);
    expect(toHex(m.options.get(57)!)).toBe('0240'); // max message size 576
    expect(toHex(m.options.get(94)!)).toBe('010000');
  });

  it('re-encodes to the identical 300 bytes', () => {
    const r = decodeDhcp(payload);
    if (!r.ok) throw new Error(r.reason);
    const m = r.message;
    const again = encodeDhcp({ op: m.op, xid: m.xid, secs: m.secs, flags: m.flags, chaddr: m.chaddr, options: [...m.options.entries()] });
    expect(toHex(again)).toBe(toHex(payload));
  });
});

function formatChaddr(b: Uint8Array): string {
  return [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
