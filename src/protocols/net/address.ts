/**
 * MAC and IPv4 address helpers: text ⇄ bytes. Parsing is strict (inputs come from configuration);
 * a malformed address is a caller error: an `AddressError` (kind `usage`), which the layer that
 * took the text from the user (CLI options, a run file) turns into whatever it reports.
 */
import { BoardkitError, type BoardkitErrorOptions } from '../../core/errors.js';

/** A MAC or IPv4 address in text form that does not parse. */
export class AddressError extends BoardkitError {
  constructor(message: string, options: BoardkitErrorOptions = {}) {
    super('E_ADDRESS', 'usage', message, options);
  }
}

export type MacAddress = string; // canonical form: lowercase, colon-separated, e.g. 52:54:00:12:34:56
export type Ipv4Address = string; // dotted quad

export const BROADCAST_MAC: MacAddress = 'ff:ff:ff:ff:ff:ff';
export const IPV4_BROADCAST: Ipv4Address = '255.255.255.255';
export const IPV4_ANY: Ipv4Address = '0.0.0.0';

const MAC_RE = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseMac(text: string): Uint8Array {
  if (!MAC_RE.test(text)) throw new AddressError(`not a MAC address: '${text}'`, { hint: 'write it as aa:bb:cc:dd:ee:ff' });
  return Uint8Array.from(text.split(/[:-]/), (h) => parseInt(h, 16));
}

export function normalizeMac(text: string): MacAddress {
  return formatMac(parseMac(text));
}

export function formatMac(bytes: Uint8Array, offset = 0): MacAddress {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((bytes[offset + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function isIpv4(text: string): boolean {
  const m = IPV4_RE.exec(text);
  return !!m && m.slice(1).every((p) => Number(p) <= 255);
}

export function ipv4ToNumber(text: string): number {
  const m = IPV4_RE.exec(text);
  if (!m || !m.slice(1).every((p) => Number(p) <= 255)) {
    throw new AddressError(`not an IPv4 address: '${text}'`, { hint: 'write it as a dotted quad, e.g. 192.0.2.1' });
  }
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

export function numberToIpv4(n: number): Ipv4Address {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function parseIpv4(text: string): Uint8Array {
  const n = ipv4ToNumber(text);
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

export function formatIpv4(bytes: Uint8Array, offset = 0): Ipv4Address {
  return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
}

/** True when `ip` is inside `network`/`mask`. */
export function sameSubnet(a: Ipv4Address, b: Ipv4Address, mask: Ipv4Address): boolean {
  const m = ipv4ToNumber(mask);
  return ((ipv4ToNumber(a) & m) >>> 0) === ((ipv4ToNumber(b) & m) >>> 0);
}

/** The directed broadcast address of `ip`/`mask`. */
export function directedBroadcast(ip: Ipv4Address, mask: Ipv4Address): Ipv4Address {
  return numberToIpv4((ipv4ToNumber(ip) | ~ipv4ToNumber(mask)) >>> 0);
}
