/**
 * ARP for IPv4 over Ethernet (RFC 826): 28-byte packets, htype 1, ptype 0x0800, hlen 6, plen 4.
 */
import { formatIpv4, formatMac, parseIpv4, parseMac, type Ipv4Address, type MacAddress } from './address.js';
import { ETHERTYPE_IPV4 } from './ethernet.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_PACKET_LENGTH = 28;

export interface ArpPacket {
  operation: number;
  senderMac: MacAddress;
  senderIp: Ipv4Address;
  targetMac: MacAddress;
  targetIp: Ipv4Address;
}

/** Undefined unless this is an Ethernet/IPv4 ARP packet of sufficient length. */
export function decodeArp(data: Uint8Array): ArpPacket | undefined {
  if (data.length < ARP_PACKET_LENGTH) return undefined;
  const htype = (data[0]! << 8) | data[1]!;
  const ptype = (data[2]! << 8) | data[3]!;
  if (htype !== 1 || ptype !== ETHERTYPE_IPV4 || data[4] !== 6 || data[5] !== 4) return undefined;
  return {
    operation: (data[6]! << 8) | data[7]!,
    senderMac: formatMac(data, 8),
    senderIp: formatIpv4(data, 14),
    targetMac: formatMac(data, 18),
    targetIp: formatIpv4(data, 24),
  };
}

export function encodeArp(p: ArpPacket): Uint8Array {
  const out = new Uint8Array(ARP_PACKET_LENGTH);
  out.set([0, 1, ETHERTYPE_IPV4 >> 8, ETHERTYPE_IPV4 & 0xff, 6, 4, (p.operation >> 8) & 0xff, p.operation & 0xff], 0);
  out.set(parseMac(p.senderMac), 8);
  out.set(parseIpv4(p.senderIp), 14);
  out.set(parseMac(p.targetMac), 18);
  out.set(parseIpv4(p.targetIp), 24);
  return out;
}
