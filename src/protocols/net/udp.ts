/**
 * UDP (RFC 768) with the IPv4 pseudo-header checksum. A received checksum of 0 means "not computed"
 * and is accepted (RFC 768; U-Boot sends 0). A computed checksum of 0 is sent as 0xffff.
 */
import { parseIpv4, type Ipv4Address } from './address.js';
import { finishChecksum, onesComplementSum } from './checksum.js';
import { IP_PROTOCOL_UDP } from './ipv4.js';

export const UDP_HEADER_LENGTH = 8;

export interface UdpDatagram {
  sourcePort: number;
  destinationPort: number;
  payload: Uint8Array;
}

export type UdpRejectReason = 'short' | 'length' | 'checksum';
export type UdpDecodeResult = { ok: true; datagram: UdpDatagram; checksumPresent: boolean } | { ok: false; reason: UdpRejectReason };

function pseudoHeaderSum(source: Ipv4Address, destination: Ipv4Address, udpLength: number): number {
  const ph = new Uint8Array(12);
  ph.set(parseIpv4(source), 0);
  ph.set(parseIpv4(destination), 4);
  ph[9] = IP_PROTOCOL_UDP;
  ph[10] = udpLength >> 8;
  ph[11] = udpLength & 0xff;
  return onesComplementSum(ph);
}

/** `data` is the IPv4 payload; source/destination come from the IPv4 header for the pseudo-header. */
export function decodeUdp(data: Uint8Array, source: Ipv4Address, destination: Ipv4Address): UdpDecodeResult {
  if (data.length < UDP_HEADER_LENGTH) return { ok: false, reason: 'short' };
  const length = (data[4]! << 8) | data[5]!;
  if (length < UDP_HEADER_LENGTH || length > data.length) return { ok: false, reason: 'length' };
  const segment = data.subarray(0, length);
  const checksum = (data[6]! << 8) | data[7]!;
  if (checksum !== 0 && finishChecksum(onesComplementSum(segment, pseudoHeaderSum(source, destination, length))) !== 0) {
    return { ok: false, reason: 'checksum' };
  }
  return {
    ok: true,
    checksumPresent: checksum !== 0,
    datagram: {
      sourcePort: (data[0]! << 8) | data[1]!,
      destinationPort: (data[2]! << 8) | data[3]!,
      payload: segment.subarray(UDP_HEADER_LENGTH),
    },
  };
}

export function encodeUdp(d: UdpDatagram, source: Ipv4Address, destination: Ipv4Address): Uint8Array {
  const length = UDP_HEADER_LENGTH + d.payload.length;
  if (length > 0xffff) throw new RangeError(`UDP datagram too large: ${length} bytes`);
  const out = new Uint8Array(length);
  out[0] = d.sourcePort >> 8;
  out[1] = d.sourcePort & 0xff;
  out[2] = d.destinationPort >> 8;
  out[3] = d.destinationPort & 0xff;
  out[4] = length >> 8;
  out[5] = length & 0xff;
  out.set(d.payload, UDP_HEADER_LENGTH);
  let sum = finishChecksum(onesComplementSum(out, pseudoHeaderSum(source, destination, length)));
  if (sum === 0) sum = 0xffff;
  out[6] = sum >> 8;
  out[7] = sum & 0xff;
  return out;
}
