/**
 * TFTP packet codec (RFC 1350 §5, RFC 2347 §2 OACK). Pure: bytes in, values out. Every read is
 * length-checked first, so any datagram decodes to a packet or to a `malformed` value, never a throw.
 */

/** RFC 1350 §5 and RFC 2347 §2. */
export const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** RFC 1350 appendix (0..7) and RFC 2347 §2 (8). */
export const ErrorCode = {
  UNDEFINED: 0,
  NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_REFUSED: 8,
} as const;

export type TftpMode = 'octet' | 'netascii';

export interface RequestPacket {
  readonly op: 'RRQ' | 'WRQ';
  readonly filename: string;
  /** False when the filename bytes were not valid UTF-8 (then decoded as Latin-1). */
  readonly filenameUtf8: boolean;
  /** Lower-cased mode string as sent (validate with `parseMode`). */
  readonly mode: string;
  /** Option names lower-cased (RFC 2347: case-insensitive), values as sent, in request order. */
  readonly options: ReadonlyArray<readonly [string, string]>;
}
export interface DataPacket {
  readonly op: 'DATA';
  readonly block: number;
  readonly data: Uint8Array;
}
export interface AckPacket {
  readonly op: 'ACK';
  readonly block: number;
}
export interface ErrorPacket {
  readonly op: 'ERROR';
  readonly code: number;
  readonly message: string;
}
export interface OackPacket {
  readonly op: 'OACK';
  readonly options: ReadonlyArray<readonly [string, string]>;
}
export interface MalformedPacket {
  readonly op: 'MALFORMED';
  /** The opcode field, when there were at least two bytes. */
  readonly opcode: number | undefined;
  readonly reason: string;
}
export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

const latin1 = new TextDecoder('latin1');
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Splits NUL-terminated strings; `undefined` when the last one lacks its NUL. */
function nulStrings(bytes: Uint8Array, start: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let i = start;
  while (i < bytes.length) {
    const end = bytes.indexOf(0, i);
    if (end < 0) return undefined;
    out.push(bytes.subarray(i, end));
    i = end + 1;
  }
  return out;
}

/** Decodes a filename: UTF-8 when valid, else Latin-1 (callers validate the name separately). */
function decodeName(bytes: Uint8Array): [string, boolean] {
  try {
    return [utf8Strict.decode(bytes), true];
  } catch {
    return [latin1.decode(bytes), false];
  }
}

export function decodePacket(bytes: Uint8Array): TftpPacket | MalformedPacket {
  if (bytes.length < 2) return { op: 'MALFORMED', opcode: undefined, reason: 'shorter than an opcode' };
  const opcode = (bytes[0]! << 8) | bytes[1]!;
  const u16 = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  switch (opcode) {
    case Opcode.RRQ:
    case Opcode.WRQ: {
      const parts = nulStrings(bytes, 2);
      if (!parts || parts.length < 2) return { op: 'MALFORMED', opcode, reason: 'request lacks NUL-terminated filename and mode' };
      if (parts.length % 2 !== 0) return { op: 'MALFORMED', opcode, reason: 'option without a value' };
      const options: Array<[string, string]> = [];
      for (let i = 2; i < parts.length; i += 2) {
        options.push([latin1.decode(parts[i]!).toLowerCase(), latin1.decode(parts[i + 1]!)]);
      }
      const [filename, filenameUtf8] = decodeName(parts[0]!);
      return {
        op: opcode === Opcode.RRQ ? 'RRQ' : 'WRQ',
        filename,
        filenameUtf8,
        mode: latin1.decode(parts[1]!).toLowerCase(),
        options,
      };
    }
    case Opcode.DATA:
      if (bytes.length < 4) return { op: 'MALFORMED', opcode, reason: 'DATA shorter than 4 bytes' };
      return { op: 'DATA', block: u16(2), data: bytes.subarray(4) };
    case Opcode.ACK:
      // Some clients pad ACKs; only the first four bytes matter.
      if (bytes.length < 4) return { op: 'MALFORMED', opcode, reason: 'ACK shorter than 4 bytes' };
      return { op: 'ACK', block: u16(2) };
    case Opcode.ERROR: {
      if (bytes.length < 4) return { op: 'MALFORMED', opcode, reason: 'ERROR shorter than 4 bytes' };
      // RFC 1350 wants a NUL; tolerate a missing one (some ROMs omit it).
      const end = bytes.indexOf(0, 4);
      return { op: 'ERROR', code: u16(2), message: latin1.decode(bytes.subarray(4, end < 0 ? bytes.length : end)) };
    }
    case Opcode.OACK: {
      const parts = nulStrings(bytes, 2);
      if (!parts || parts.length % 2 !== 0) return { op: 'MALFORMED', opcode, reason: 'OACK options malformed' };
      const options: Array<[string, string]> = [];
      for (let i = 0; i < parts.length; i += 2) options.push([latin1.decode(parts[i]!).toLowerCase(), latin1.decode(parts[i + 1]!)]);
      return { op: 'OACK', options };
    }
    default:
      return { op: 'MALFORMED', opcode, reason: `unknown opcode ${opcode}` };
  }
}

function strBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

function concatStrings(op: number, strings: string[]): Uint8Array {
  const encoded = strings.map(strBytes);
  const len = 2 + encoded.reduce((n, b) => n + b.length + 1, 0);
  const out = new Uint8Array(len);
  out[0] = op >> 8;
  out[1] = op & 0xff;
  let at = 2;
  for (const b of encoded) {
    out.set(b, at);
    at += b.length + 1; // the NUL is already 0
  }
  return out;
}

export function encodeRequest(
  op: 'RRQ' | 'WRQ',
  filename: string,
  mode: string,
  options: ReadonlyArray<readonly [string, string]> = [],
): Uint8Array {
  // Filenames go out as UTF-8 bytes; the rest is ASCII.
  const name = Buffer.from(filename, 'utf8').toString('latin1');
  return concatStrings(op === 'RRQ' ? Opcode.RRQ : Opcode.WRQ, [name, mode, ...options.flat()]);
}

export function encodeData(block: number, data: Uint8Array): Uint8Array {
  // Pooled, uninitialised memory: every byte is written below. A zero-filled Uint8Array per DATA
  // block costs a malloc and a GC finalizer each, a visible share of a served block's CPU time.
  const out = Buffer.allocUnsafe(4 + data.length);
  out[0] = 0;
  out[1] = Opcode.DATA;
  out[2] = (block >> 8) & 0xff;
  out[3] = block & 0xff;
  out.set(data, 4);
  return out;
}

export function encodeAck(block: number): Uint8Array {
  return Uint8Array.of(0, Opcode.ACK, (block >> 8) & 0xff, block & 0xff);
}

export function encodeError(code: number, message: string): Uint8Array {
  const msg = strBytes(message);
  const out = new Uint8Array(5 + msg.length);
  out[1] = Opcode.ERROR;
  out[2] = (code >> 8) & 0xff;
  out[3] = code & 0xff;
  out.set(msg, 4);
  return out;
}

export function encodeOack(options: ReadonlyArray<readonly [string, string]>): Uint8Array {
  return concatStrings(Opcode.OACK, options.flat());
}

/** RFC 1350 §5 modes; "mail" is obsolete (RFC 1350 says it should not be supported). */
export function parseMode(mode: string): TftpMode | undefined {
  return mode === 'octet' || mode === 'netascii' ? mode : undefined;
}
