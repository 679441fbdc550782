/**
 * Typed reads of decoded options and builders for reply options. Lengths were already checked by
 * the codec (`decodeDhcp`), so reads here only interpret bytes.
 */
import { formatIpv4, parseIpv4, type Ipv4Address } from '../net/address.js';
import { MESSAGE_TYPE_NAMES, Opt, type DhcpMessageTypeName } from './constants.js';
import type { DhcpMessage } from './codec.js';

export function asciiOf(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`DHCP option text must be ASCII: '${text}'`);
    out[i] = c;
  }
  return out;
}

export function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

export function ipList(ips: readonly Ipv4Address[]): Uint8Array {
  const out = new Uint8Array(ips.length * 4);
  ips.forEach((ip, i) => out.set(parseIpv4(ip), i * 4));
  return out;
}

/** The option 53 type name; undefined for BOOTP (no option 53) or an unknown value. */
export function messageTypeOf(m: DhcpMessage): DhcpMessageTypeName | undefined {
  const v = m.options.get(Opt.MESSAGE_TYPE);
  return v ? MESSAGE_TYPE_NAMES[v[0]!] : undefined;
}

export function ipOption(m: DhcpMessage, code: number): Ipv4Address | undefined {
  const v = m.options.get(code);
  return v && v.length === 4 ? formatIpv4(v, 0) : undefined;
}

export function vendorClassOf(m: DhcpMessage): string | undefined {
  const v = m.options.get(Opt.VENDOR_CLASS);
  return v ? asciiOf(v) : undefined;
}

/** Option 93 client system architectures (RFC 4578 §2.1; a list per RFC 4578 errata). */
export function clientArchOf(m: DhcpMessage): number[] {
  const v = m.options.get(Opt.CLIENT_ARCH);
  const out: number[] = [];
  if (v) for (let i = 0; i + 1 < v.length; i += 2) out.push((v[i]! << 8) | v[i + 1]!);
  return out;
}

export function parameterRequestListOf(m: DhcpMessage): number[] {
  return [...(m.options.get(Opt.PARAMETER_REQUEST_LIST) ?? [])];
}

/** PXE option 43 sub-options (PXE 2.1 §2.4, Table 2-1). */
const PXE_DISCOVERY_CONTROL = 6;
const PXE_BOOT_MENU = 9;
const PXE_MENU_PROMPT = 10;

/**
 * Option 43 for a PXE client that should take `file` from this very packet: discovery control
 * bit 3 ("use the boot file in this offer, skip boot server discovery"), as pixiecore and dnsmasq send.
 */
export function pxeDirectBootOption(): Uint8Array {
  return Uint8Array.of(PXE_DISCOVERY_CONTROL, 1, 0x08, Opt.END);
}

/**
 * Option 43 the Raspberry Pi boot ROM looks for: discovery control 3 (no multicast/broadcast
 * discovery), a menu prompt with timeout 0 and text "PXE", and one boot menu item of type 0 whose
 * description is the magic string. dnsmasq's `pxe-service=0,"Raspberry Pi Boot"` produces the same
 * layout; the Pi 3B ROM needs the description padded with three trailing spaces
 * (docs/netboot-facts.md §2, §3), which later ROMs accept too, so that is our default.
 */
export function raspberryPiBootOption(description = 'Raspberry Pi Boot   '): Uint8Array {
  const desc = ascii(description);
  if (desc.length > 250) throw new RangeError('PXE menu description too long');
  return Uint8Array.from([
    PXE_DISCOVERY_CONTROL, 1, 3,
    PXE_MENU_PROMPT, 4, 0, ...ascii('PXE'),
    PXE_BOOT_MENU, desc.length + 3, 0, 0, desc.length, ...desc,
    Opt.END,
  ]);
}

