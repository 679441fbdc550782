/**
 * DHCP/BOOTP message codec (RFC 2131 §2, RFC 2132). Decoding never throws: it returns a reason.
 * Every option's length is checked against the buffer, and options with a defined size are checked
 * against it, so the engine can read typed values without further bounds checks.
 */
import { formatIpv4, parseIpv4, type Ipv4Address } from '../net/address.js';
import { BOOTP_MIN_LENGTH, DHCP_FIXED_LENGTH, MAGIC_COOKIE, Opt } from './constants.js';

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: Ipv4Address;
  yiaddr: Ipv4Address;
  siaddr: Ipv4Address;
  giaddr: Ipv4Address;
  /** The 16-byte chaddr field as sent. */
  chaddr: Uint8Array;
  /** Server host name / boot file name: NUL-terminated strings (empty when overloaded with options). */
  sname: string;
  file: string;
  /** Options in arrival order; a code repeated on the wire is concatenated (RFC 3396 §7). */
  options: Map<number, Uint8Array>;
  /** False for a plain BOOTP message without the RFC 1048 cookie. */
  hasCookie: boolean;
}

export type DhcpDecodeResult =
  | { ok: true; message: DhcpMessage }
  | { ok: false; reason: 'short' | 'option-truncated' | 'option-length' | 'overload'; detail?: string };

/**
 * Size rules for options whose layout RFC 2132 / RFC 4578 fix. `min`/`max` are byte counts,
 * `multiple` the unit size of lists.
 */
const LENGTH_RULES: Record<number, { min: number; max?: number; multiple?: number }> = {
  [Opt.SUBNET_MASK]: { min: 4, max: 4 },
  [Opt.ROUTER]: { min: 4, multiple: 4 },
  [Opt.DNS]: { min: 4, multiple: 4 },
  [Opt.HOSTNAME]: { min: 1 },
  [Opt.REQUESTED_IP]: { min: 4, max: 4 },
  [Opt.LEASE_TIME]: { min: 4, max: 4 },
  [Opt.OVERLOAD]: { min: 1, max: 1 },
  [Opt.MESSAGE_TYPE]: { min: 1, max: 1 },
  [Opt.SERVER_ID]: { min: 4, max: 4 },
  [Opt.PARAMETER_REQUEST_LIST]: { min: 1 },
  [Opt.MAX_MESSAGE_SIZE]: { min: 2, max: 2 },
  [Opt.RENEWAL_TIME]: { min: 4, max: 4 },
  [Opt.REBINDING_TIME]: { min: 4, max: 4 },
  [Opt.VENDOR_CLASS]: { min: 1 },
  [Opt.CLIENT_ID]: { min: 2 },
  [Opt.CLIENT_ARCH]: { min: 2, multiple: 2 },
  [Opt.CLIENT_NDI]: { min: 3, max: 3 },
  [Opt.CLIENT_UUID]: { min: 17, max: 17 },
};

function readString(data: Uint8Array): string {
  const nul = data.indexOf(0);
  const bytes = nul < 0 ? data : data.subarray(0, nul);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Parses an option area into `into`. Returns an error reason or undefined. */
function parseOptions(area: Uint8Array, into: Map<number, Uint8Array>): { reason: 'option-truncated'; detail: string } | undefined {
  let i = 0;
  while (i < area.length) {
    const code = area[i]!;
    if (code === Opt.PAD) {
      i++;
      continue;
    }
    if (code === Opt.END) return undefined;
    if (i + 1 >= area.length) return { reason: 'option-truncated', detail: `option ${code} has no length octet` };
    const len = area[i + 1]!;
    if (i + 2 + len > area.length) return { reason: 'option-truncated', detail: `option ${code} length ${len} runs past the end` };
    const value = area.subarray(i + 2, i + 2 + len);
    const prev = into.get(code);
    if (prev) {
      const joined = new Uint8Array(prev.length + value.length);
      joined.set(prev, 0);
      joined.set(value, prev.length);
      into.set(code, joined);
    } else into.set(code, value.slice());
    i += 2 + len;
  }
  // A missing END is tolerated (some BOOTP clients pad the vend field with zeros only).
  return undefined;
}

export function decodeDhcp(data: Uint8Array): DhcpDecodeResult {
  if (data.length < DHCP_FIXED_LENGTH) return { ok: false, reason: 'short' };
  const u32 = (o: number) => ((data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!) >>> 0;
  const u16 = (o: number) => (data[o]! << 8) | data[o + 1]!;
  const options = new Map<number, Uint8Array>();
  const hasCookie =
    data.length >= DHCP_FIXED_LENGTH + 4 && MAGIC_COOKIE.every((b, k) => data[DHCP_FIXED_LENGTH + k] === b);
  let snameOverloaded = false;
  let fileOverloaded = false;
  if (hasCookie) {
    const err = parseOptions(data.subarray(DHCP_FIXED_LENGTH + 4), options);
    if (err) return { ok: false, ...err };
    const overload = options.get(Opt.OVERLOAD);
    if (overload) {
      // RFC 2132 §9.3: 1 = file holds options, 2 = sname, 3 = both. Parse file first, then sname.
      if (overload.length !== 1) return { ok: false, reason: 'option-length', detail: `option 52 has length ${overload.length}` };
      const v = overload[0]!;
      if (v < 1 || v > 3) return { ok: false, reason: 'overload', detail: `option 52 value ${v}` };
      fileOverloaded = (v & 1) !== 0;
      snameOverloaded = (v & 2) !== 0;
      if (fileOverloaded) {
        const e = parseOptions(data.subarray(108, 236), options);
        if (e) return { ok: false, ...e };
      }
      if (snameOverloaded) {
        const e = parseOptions(data.subarray(44, 108), options);
        if (e) return { ok: false, ...e };
      }
    }
    for (const [code, value] of options) {
      const rule = LENGTH_RULES[code];
      if (!rule) continue;
      const bad =
        value.length < rule.min ||
        (rule.max !== undefined && value.length > rule.max) ||
        (rule.multiple !== undefined && value.length % rule.multiple !== 0);
      if (bad) return { ok: false, reason: 'option-length', detail: `option ${code} has length ${value.length}` };
    }
  }
  return {
    ok: true,
    message: {
      op: data[0]!,
      htype: data[1]!,
      hlen: data[2]!,
      hops: data[3]!,
      xid: u32(4),
      secs: u16(8),
      flags: u16(10),
      ciaddr: formatIpv4(data, 12),
      yiaddr: formatIpv4(data, 16),
      siaddr: formatIpv4(data, 20),
      giaddr: formatIpv4(data, 24),
      chaddr: data.slice(28, 44),
      sname: snameOverloaded ? '' : readString(data.subarray(44, 108)),
      file: fileOverloaded ? '' : readString(data.subarray(108, 236)),
      options,
      hasCookie,
    },
  };
}

export interface DhcpEncodeInput {
  op: number;
  xid: number;
  chaddr: Uint8Array;
  htype?: number;
  hlen?: number;
  hops?: number;
  secs?: number;
  flags?: number;
  ciaddr?: Ipv4Address;
  yiaddr?: Ipv4Address;
  siaddr?: Ipv4Address;
  giaddr?: Ipv4Address;
  sname?: string;
  file?: string;
  /** Options in the order to emit; values longer than 255 bytes are split (RFC 3396). Omit for plain BOOTP. */
  options?: ReadonlyArray<readonly [number, Uint8Array]>;
}

function writeString(out: Uint8Array, offset: number, size: number, text: string | undefined, field: string): void {
  if (!text) return;
  if (text.length >= size) throw new RangeError(`DHCP ${field} '${text}' does not fit in ${size - 1} bytes`);
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c > 0x7f || c === 0) throw new RangeError(`DHCP ${field} must be printable ASCII: '${text}'`);
    out[offset + k] = c;
  }
}

/** Encodes a message; padded to the 300-byte BOOTP minimum. Throws RangeError on a config-level misuse. */
export function encodeDhcp(m: DhcpEncodeInput): Uint8Array {
  const chunks: number[] = [];
  if (m.options) {
    for (const [code, value] of m.options) {
      if (code === Opt.PAD || code === Opt.END || code < 0 || code > 255) throw new RangeError(`bad DHCP option code ${code}`);
      if (value.length === 0) {
        chunks.push(code, 0);
        continue;
      }
      for (let off = 0; off < value.length; off += 255) {
        const part = value.subarray(off, off + 255);
        chunks.push(code, part.length, ...part);
      }
    }
    chunks.push(Opt.END);
  }
  const optLen = m.options ? 4 + chunks.length : 0;
  const out = new Uint8Array(Math.max(BOOTP_MIN_LENGTH, DHCP_FIXED_LENGTH + optLen));
  const view = new DataView(out.buffer);
  out[0] = m.op;
  out[1] = m.htype ?? 1;
  out[2] = m.hlen ?? 6;
  out[3] = m.hops ?? 0;
  view.setUint32(4, m.xid >>> 0);
  view.setUint16(8, m.secs ?? 0);
  view.setUint16(10, m.flags ?? 0);
  out.set(parseIpv4(m.ciaddr ?? '0.0.0.0'), 12);
  out.set(parseIpv4(m.yiaddr ?? '0.0.0.0'), 16);
  out.set(parseIpv4(m.siaddr ?? '0.0.0.0'), 20);
  out.set(parseIpv4(m.giaddr ?? '0.0.0.0'), 24);
  out.set(m.chaddr.subarray(0, 16), 28);
  writeString(out, 44, 64, m.sname, 'sname');
  writeString(out, 108, 128, m.file, 'file');
  if (m.options) {
    out.set(MAGIC_COOKIE, DHCP_FIXED_LENGTH);
    out.set(chunks, DHCP_FIXED_LENGTH + 4);
  }
  return out;
}
