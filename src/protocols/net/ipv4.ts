/**
 * IPv4 header codec (RFC 791 §3.1). The userspace stack never reassembles: a fragment (MF set or a
 * non-zero fragment offset) is refused with reason `fragment`, because a netboot peer that
 * fragments is misconfigured (TFTP blksize must stay below the path MTU) and reassembly buffers
 * are an attack surface we do not need.
 */
import { formatIpv4, parseIpv4, type Ipv4Address } from './address.js';
import { internetChecksum } from './checksum.js';

export const IP_PROTOCOL_ICMP = 1;
export const IP_PROTOCOL_UDP = 17;
export const IPV4_MIN_HEADER = 20;
/** RFC 1700 recommended default TTL. */
export const DEFAULT_TTL = 64;

export interface Ipv4Packet {
  source: Ipv4Address;
  destination: Ipv4Address;
  protocol: number;
  ttl: number;
  identification: number;
  dontFragment: boolean;
  /** The payload, already cut to the header's total length (Ethernet padding removed). */
  payload: Uint8Array;
}

export type Ipv4RejectReason = 'short' | 'version' | 'header-length' | 'total-length' | 'checksum' | 'fragment';

export type Ipv4DecodeResult = { ok: true; packet: Ipv4Packet } | { ok: false; reason: Ipv4RejectReason };

export function decodeIpv4(data: Uint8Array): Ipv4DecodeResult {
  if (data.length < IPV4_MIN_HEADER) return { ok: false, reason: 'short' };
  const version = data[0]! >> 4;
  if (version !== 4) return { ok: false, reason: 'version' };
  const ihl = (data[0]! & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER || ihl > data.length) return { ok: false, reason: 'header-length' };
  const totalLength = (data[2]! << 8) | data[3]!;
  if (totalLength < ihl || totalLength > data.length) return { ok: false, reason: 'total-length' };
  // A correct header sums (checksum included) to 0xffff, so the complement is 0.
  if (internetChecksum(data.subarray(0, ihl)) !== 0) return { ok: false, reason: 'checksum' };
  const flagsFrag = (data[6]! << 8) | data[7]!;
  const moreFragments = (flagsFrag & 0x2000) !== 0;
  const fragmentOffset = flagsFrag & 0x1fff;
  if (moreFragments || fragmentOffset !== 0) return { ok: false, reason: 'fragment' };
  return {
    ok: true,
    packet: {
      source: formatIpv4(data, 12),
      destination: formatIpv4(data, 16),
      protocol: data[9]!,
      ttl: data[8]!,
      identification: (data[4]! << 8) | data[5]!,
      dontFragment: (flagsFrag & 0x4000) !== 0,
      payload: data.subarray(ihl, totalLength),
    },
  };
}

export interface Ipv4EncodeInput {
  source: Ipv4Address;
  destination: Ipv4Address;
  protocol: number;
  payload: Uint8Array;
  identification?: number;
  ttl?: number;
  /** Default true: we never fragment, so say so (RFC 791 DF). */
  dontFragment?: boolean;
}

/** Encodes a 20-byte header (no options) plus payload, with the header checksum filled in. */
export function encodeIpv4(p: Ipv4EncodeInput): Uint8Array {
  const total = IPV4_MIN_HEADER + p.payload.length;
  if (total > 0xffff) throw new RangeError(`IPv4 packet too large: ${total} bytes`);
  const out = new Uint8Array(total);
  const id = (p.identification ?? 0) & 0xffff;
  out[0] = 0x45;
  out[1] = 0;
  out[2] = total >> 8;
  out[3] = total & 0xff;
  out[4] = id >> 8;
  out[5] = id & 0xff;
  out[6] = p.dontFragment === false ? 0 : 0x40;
  out[7] = 0;
  out[8] = p.ttl ?? DEFAULT_TTL;
  out[9] = p.protocol;
  out.set(parseIpv4(p.source), 12);
  out.set(parseIpv4(p.destination), 16);
  const sum = internetChecksum(out.subarray(0, IPV4_MIN_HEADER));
  out[10] = sum >> 8;
  out[11] = sum & 0xff;
  out.set(p.payload, IPV4_MIN_HEADER);
  return out;
}
