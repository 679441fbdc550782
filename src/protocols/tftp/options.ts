/**
 * TFTP option negotiation on the server side: RFC 2347 (OACK carries only accepted options),
 * RFC 2348 blksize, RFC 2349 timeout + tsize, RFC 7440 windowsize. Pure.
 */
import { ErrorCode } from './packet.js';

/** RFC 2348 §2: blksize range. */
export const BLKSIZE_MIN = 8;
export const BLKSIZE_MAX = 65464;
/** RFC 1350: the block size without options. */
export const BLKSIZE_DEFAULT = 512;
/** RFC 2349 §2: timeout is 1..255 seconds. */
export const TIMEOUT_MIN_S = 1;
export const TIMEOUT_MAX_S = 255;
/** RFC 7440 §3: windowsize 1..65535. */
export const WINDOWSIZE_MAX = 65535;
/** IPv4 (20) + UDP (8) + TFTP DATA header (4): blksize ≤ path MTU − 32 keeps DATA unfragmented. */
export const TFTP_OVERHEAD = 32;

export interface NegotiationPolicy {
  /** Largest blksize we grant (≤ BLKSIZE_MAX). */
  blksizeMax: number;
  /** Path MTU to the client; blksize is capped at `pathMtu - 32`. */
  pathMtu?: number;
  /** Largest windowsize we grant (docs/netboot-facts.md §4: 16–64). */
  windowsizeMax: number;
}

export interface Negotiated {
  blksize: number;
  windowsize: number;
  /** The client's timeout option in seconds when it sent one (echoed unchanged). */
  timeoutS: number | undefined;
  /** Whether the client asked for tsize (the OACK must then carry it). */
  tsizeRequested: boolean;
  /** tsize the client announced (WRQ). */
  tsizeValue: number | undefined;
  /** Options to put in the OACK, in request order; empty → no OACK (plain RFC 1350). */
  oack: Array<[string, string]>;
}

export interface NegotiationRefusal {
  refused: true;
  code: number;
  message: string;
}

const DECIMAL = /^[0-9]{1,10}$/;

/**
 * Decides the OACK. `fileSize` fills tsize in an RRQ (undefined when unknown → tsize not acked).
 * Unknown options are ignored (RFC 2347 §3); malformed or out-of-range values that cannot be
 * lowered (blksize < 8, timeout outside 1..255, windowsize 0, a repeated option) get ERROR 8.
 */
export function negotiate(
  op: 'RRQ' | 'WRQ',
  options: ReadonlyArray<readonly [string, string]>,
  policy: NegotiationPolicy,
  fileSize: number | undefined,
): Negotiated | NegotiationRefusal {
  const refuse = (message: string): NegotiationRefusal => ({ refused: true, code: ErrorCode.OPTION_REFUSED, message });
  const seen = new Set<string>();
  const out: Negotiated = {
    blksize: BLKSIZE_DEFAULT,
    windowsize: 1,
    timeoutS: undefined,
    tsizeRequested: false,
    tsizeValue: undefined,
    oack: [],
  };
  const cap = Math.max(
    BLKSIZE_MIN,
    Math.min(BLKSIZE_MAX, policy.blksizeMax, policy.pathMtu === undefined ? BLKSIZE_MAX : policy.pathMtu - TFTP_OVERHEAD),
  );
  for (const [name, value] of options) {
    const known = name === 'blksize' || name === 'timeout' || name === 'tsize' || name === 'windowsize';
    if (!known) continue;
    if (seen.has(name)) return refuse(`option ${name} given twice`);
    seen.add(name);
    if (!DECIMAL.test(value)) return refuse(`option ${name} has a non-numeric value`);
    const v = Number(value);
    switch (name) {
      case 'blksize':
        if (v < BLKSIZE_MIN) return refuse(`blksize ${v} is below ${BLKSIZE_MIN}`);
        out.blksize = Math.min(v, cap);
        out.oack.push([name, String(out.blksize)]);
        break;
      case 'timeout':
        // RFC 2349 §2: echo it unchanged or not at all; U-Boot refuses a changed value.
        if (v < TIMEOUT_MIN_S || v > TIMEOUT_MAX_S) return refuse(`timeout ${v} is outside 1..255`);
        out.timeoutS = v;
        out.oack.push([name, value]);
        break;
      case 'tsize':
        out.tsizeRequested = true;
        if (op === 'WRQ') {
          out.tsizeValue = v;
          out.oack.push([name, String(v)]);
        } else if (fileSize !== undefined) {
          out.oack.push([name, String(fileSize)]);
        }
        break;
      case 'windowsize':
        if (v < 1) return refuse('windowsize 0');
        out.windowsize = Math.min(v, Math.max(1, Math.min(policy.windowsizeMax, WINDOWSIZE_MAX)));
        out.oack.push([name, String(out.windowsize)]);
        break;
    }
  }
  return out;
}

export function isRefusal(n: Negotiated | NegotiationRefusal): n is NegotiationRefusal {
  return (n as NegotiationRefusal).refused === true;
}
