/**
 * Ethernet/ARP/IPv4/UDP/ICMP codecs. Oracles: RFC 1071's worked checksum example, a real frame
 * emitted by U-Boot on QEMU (its IPv4 header checksum was computed by U-Boot), and checksums
 * computed independently with Python's struct module (values quoted in the tests).
 */
import { describe, expect, it } from 'vitest';
import { decodeArp, encodeArp, ARP_REQUEST } from '../../src/protocols/net/arp.js';
import { internetChecksum } from '../../src/protocols/net/checksum.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../src/protocols/net/ethernet.js';
import { decodeIcmp, encodeIcmp, ICMP_ECHO_REQUEST } from '../../src/protocols/net/icmp.js';
import { decodeIpv4, encodeIpv4, IP_PROTOCOL_UDP } from '../../src/protocols/net/ipv4.js';
import { decodeUdp, encodeUdp } from '../../src/protocols/net/udp.js';
import { AddressError, directedBroadcast, normalizeMac, parseIpv4, sameSubnet } from '../../src/protocols/net/address.js';
import { UsageError } from '../../src/core/errors.js';
import { UBOOT_DISCOVER_FRAME_HEX } from './dhcp-fixtures.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('internet checksum (RFC 1071)', () => {
  it('matches the RFC 1071 §3 worked example', () => {
    // 0001 + f203 + f4f5 + f6f7 = 2ddf0 → ddf2 after folding; checksum is its complement 220d.
    expect(internetChecksum(hex('0001f203f4f5f6f7'))).toBe(0x220d);
  });
  it('pads an odd trailing byte with zero', () => {
    expect(internetChecksum(hex('0001f203f4f5f6'))).toBe(internetChecksum(hex('0001f203f4f5f600')));
  });
});

describe('Ethernet + IPv4 + UDP on a real U-Boot DHCPDISCOVER frame', () => {
  const frame = hex(UBOOT_DISCOVER_FRAME_HEX);

  it('decodes the layers', () => {
    expect(frame.length).toBe(342);
    const eth = decodeEthernet(frame)!;
    expect(eth).toMatchObject({ destination: 'ff:ff:ff:ff:ff:ff', source: '52:54:00:12:34:56', etherType: ETHERTYPE_IPV4 });
    const ip = decodeIpv4(eth.payload);
    expect(ip.ok).toBe(true);
    if (!ip.ok) return;
    expect(ip.packet).toMatchObject({ source: '0.0.0.0', destination: '255.255.255.255', protocol: IP_PROTOCOL_UDP, ttl: 255, dontFragment: true });
    const udp = decodeUdp(ip.packet.payload, ip.packet.source, ip.packet.destination);
    expect(udp.ok).toBe(true);
    if (!udp.ok) return;
    expect(udp.checksumPresent).toBe(false); // U-Boot leaves the UDP checksum 0
    expect(udp.datagram.sourcePort).toBe(68);
    expect(udp.datagram.destinationPort).toBe(67);
    expect(udp.datagram.payload.length).toBe(300);
  });

  it('re-encodes the IPv4 header byte for byte, including U-Boot\'s header checksum 0x7aa5', () => {
    const eth = decodeEthernet(frame)!;
    const r = decodeIpv4(eth.payload);
    if (!r.ok) throw new Error(r.reason);
    const again = encodeIpv4({ source: '0.0.0.0', destination: '255.255.255.255', protocol: 17, ttl: 255, identification: r.packet.identification, payload: r.packet.payload });
    expect(toHex(again.subarray(0, 20))).toBe(toHex(eth.payload.subarray(0, 20)));
    expect(toHex(again.subarray(10, 12))).toBe('7aa5');
  });

  it('rejects a corrupted header checksum, a fragment, and truncation explicitly', () => {
    const ip = decodeEthernet(frame)!.payload.slice();
    const bad = ip.slice();
    bad[10] = bad[10]! ^ 1;
    expect(decodeIpv4(bad)).toEqual({ ok: false, reason: 'checksum' });
    // Set MF and fix the checksum: refused as a fragment, not reassembled.
    const frag = ip.slice();
    frag[6] = 0x20;
    frag[10] = 0;
    frag[11] = 0;
    const c = internetChecksum(frag.subarray(0, 20));
    frag[10] = c >> 8;
    frag[11] = c & 0xff;
    expect(decodeIpv4(frag)).toEqual({ ok: false, reason: 'fragment' });
    const off = frag.slice();
    off[6] = 0x00;
    off[7] = 0xb9; // offset 185 × 8, MF clear: the last fragment
    off[10] = 0;
    off[11] = 0;
    const c2 = internetChecksum(off.subarray(0, 20));
    off[10] = c2 >> 8;
    off[11] = c2 & 0xff;
    expect(decodeIpv4(off)).toEqual({ ok: false, reason: 'fragment' });
    expect(decodeIpv4(ip.subarray(0, 19))).toEqual({ ok: false, reason: 'short' });
    expect(decodeIpv4(ip.subarray(0, 100))).toEqual({ ok: false, reason: 'total-length' });
  });
});

describe('UDP pseudo-header checksum (RFC 768)', () => {
  // Python: src 192.0.2.1, dst 192.0.2.100, 69 → 1756, payload "hello, boardkit" → checksum 0x4ea9.
  const expected = '004506dc00174ea968656c6c6f2c20626f6172646b6974';

  it('encodes byte for byte', () => {
    const udp = encodeUdp({ sourcePort: 69, destinationPort: 1756, payload: new TextEncoder().encode('hello, boardkit') }, '192.0.2.1', '192.0.2.100');
    expect(toHex(udp)).toBe(expected);
  });

  it('verifies on decode and refuses a flipped bit or a wrong pseudo-header', () => {
    const b = hex(expected);
    expect(decodeUdp(b, '192.0.2.1', '192.0.2.100').ok).toBe(true);
    const flipped = b.slice();
    flipped[10] = flipped[10]! ^ 0x40;
    expect(decodeUdp(flipped, '192.0.2.1', '192.0.2.100')).toEqual({ ok: false, reason: 'checksum' });
    expect(decodeUdp(b, '192.0.2.1', '192.0.2.101')).toEqual({ ok: false, reason: 'checksum' });
    expect(decodeUdp(b.subarray(0, 7), '192.0.2.1', '192.0.2.100')).toEqual({ ok: false, reason: 'short' });
    expect(decodeUdp(b.subarray(0, 20), '192.0.2.1', '192.0.2.100')).toEqual({ ok: false, reason: 'length' });
  });

  it('IPv4 header checksum matches Python for a hand-built header', () => {
    const ip = encodeIpv4({ source: '192.0.2.1', destination: '192.0.2.100', protocol: 17, identification: 0x1234, payload: hex(expected) });
    expect(toHex(ip.subarray(0, 20))).toBe('4500002b123440004011a428c0000201c0000264');
  });
});

describe('Ethernet and ARP', () => {
  it('pads short frames to 60 bytes and drops 802.3 length frames', () => {
    const f = encodeEthernet({ destination: 'ff:ff:ff:ff:ff:ff', source: '02:00:00:00:00:01', etherType: ETHERTYPE_ARP, payload: new Uint8Array(28) });
    expect(f.length).toBe(60);
    const llc = f.slice();
    llc[12] = 0x00;
    llc[13] = 0x2e;
    expect(decodeEthernet(llc)).toBeUndefined();
    expect(decodeEthernet(f.subarray(0, 13))).toBeUndefined();
  });

  it('encodes an ARP request in the RFC 826 layout', () => {
    const a = encodeArp({ operation: ARP_REQUEST, senderMac: '02:00:00:00:00:01', senderIp: '192.0.2.1', targetMac: '00:00:00:00:00:00', targetIp: '192.0.2.100' });
    expect(toHex(a)).toBe('0001' + '0800' + '06' + '04' + '0001' + '020000000001' + 'c0000201' + '000000000000' + 'c0000264');
    expect(decodeArp(a)).toMatchObject({ operation: 1, senderIp: '192.0.2.1', targetIp: '192.0.2.100' });
    expect(decodeArp(a.subarray(0, 27))).toBeUndefined();
  });
});

describe('ICMP echo and addresses', () => {
  it('round-trips an echo request and rejects a bad checksum', () => {
    const m = encodeIcmp({ type: ICMP_ECHO_REQUEST, code: 0, rest: hex('12340001abcdef') });
    expect(decodeIcmp(m)).toMatchObject({ type: 8, code: 0 });
    const bad = m.slice();
    bad[6] = bad[6]! ^ 1;
    expect(decodeIcmp(bad)).toBeUndefined();
  });
  it('subnet helpers', () => {
    expect(directedBroadcast('192.0.2.1', '255.255.255.0')).toBe('192.0.2.255');
    expect(sameSubnet('192.0.2.1', '192.0.2.200', '255.255.255.0')).toBe(true);
    expect(sameSubnet('192.0.2.1', '198.51.100.1', '255.255.255.0')).toBe(false);
  });
});

describe('address parsing errors', () => {
  it("a malformed address is the protocol's own AddressError (kind usage), not the CLI's UsageError", () => {
    for (const bad of [() => normalizeMac('52:54:00:12:34'), () => parseIpv4('192.0.2.256')]) {
      let err: unknown;
      try {
        bad();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AddressError);
      expect(err).not.toBeInstanceOf(UsageError);
      expect(err).toMatchObject({ kind: 'usage', code: 'E_ADDRESS' });
    }
  });
});
