/**
 * ICMP echo (RFC 792): enough to answer `ping` from a boot loader, which is how a U-Boot user checks
 * the path to the server before `tftpboot`.
 */
import { internetChecksum } from './checksum.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;

export interface IcmpMessage {
  type: number;
  code: number;
  /** Bytes after the 4-byte type/code/checksum header (identifier, sequence, data for echo). */
  rest: Uint8Array;
}

export function decodeIcmp(data: Uint8Array): IcmpMessage | undefined {
  if (data.length < 8) return undefined;
  if (internetChecksum(data) !== 0) return undefined;
  return { type: data[0]!, code: data[1]!, rest: data.subarray(4) };
}

export function encodeIcmp(m: IcmpMessage): Uint8Array {
  const out = new Uint8Array(4 + m.rest.length);
  out[0] = m.type;
  out[1] = m.code;
  out.set(m.rest, 4);
  const sum = internetChecksum(out);
  out[2] = sum >> 8;
  out[3] = sum & 0xff;
  return out;
}
