/**
 * Ethernet oracle: decode the payload's broadcast UDP report frame as received from QEMU's
 * `-netdev dgram` link (one Ethernet II frame per datagram, no FCS). Independent of the C
 * builder: checks the IPv4 header checksum (RFC 1071) and the lengths (RFC 791, RFC 768).
 */
import { PayloadReportError } from './report.js';

export interface UdpReportFrame {
  dstMac: string;
  srcMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  text: string;
  nonce?: string;
  board?: string;
}

const mac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** Returns the decoded report, or undefined when the frame is not a valid IPv4/UDP report. */
export function parseUdpReportFrame(frame: Uint8Array): UdpReportFrame | undefined {
  if (frame.length < 14 + 20 + 8) return undefined;
  const v = new DataView(frame.buffer, frame.byteOffset, frame.length);
  if (v.getUint16(12) !== 0x0800) return undefined;
  const ip = 14;
  if (frame[ip]! >> 4 !== 4) return undefined;
  const ihl = (frame[ip]! & 0xf) * 4;
  const total = v.getUint16(ip + 2);
  if (ihl < 20 || frame[ip + 9] !== 17 || ip + total > frame.length) return undefined;
  let sum = 0;
  for (let i = 0; i < ihl; i += 2) sum += v.getUint16(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  if (sum !== 0xffff) return undefined;
  const udp = ip + ihl;
  const udpLen = v.getUint16(udp + 4);
  if (udpLen < 8 || udp + udpLen > ip + total) return undefined;
  const text = Buffer.from(frame.subarray(udp + 8, udp + udpLen)).toString('latin1');
  const m = /^BOARDKIT nonce=([0-9a-f]{32}) board=([a-z0-9-]+)\n?$/.exec(text);
  return {
    dstMac: mac(frame.subarray(0, 6)),
    srcMac: mac(frame.subarray(6, 12)),
    srcIp: [...frame.subarray(ip + 12, ip + 16)].join('.'),
    dstIp: [...frame.subarray(ip + 16, ip + 20)].join('.'),
    srcPort: v.getUint16(udp),
    dstPort: v.getUint16(udp + 2),
    text,
    ...(m ? { nonce: m[1]!, board: m[2]! } : {}),
  };
}

export interface EthernetExpectation {
  nonce: string;
  board: string;
  mac: string;
  peerPort: number;
}

/** Finds the report frame among everything the link delivered, or throws saying what was seen. */
export function checkEthernetFrames(frames: readonly Uint8Array[], want: EthernetExpectation): UdpReportFrame {
  const decoded = frames.map(parseUdpReportFrame);
  const hit = decoded.find(
    (f) =>
      f &&
      f.dstMac === 'ff:ff:ff:ff:ff:ff' &&
      f.srcMac === want.mac.toLowerCase() &&
      f.dstPort === want.peerPort &&
      f.nonce === want.nonce &&
      f.board === want.board,
  );
  if (hit) return hit;
  throw new PayloadReportError(
    `no broadcast UDP report frame with nonce ${want.nonce} among ${frames.length} frame(s)`,
    undefined,
    'the NIC did not transmit (driver lied or failed), or the -netdev dgram ports do not match',
  );
}
