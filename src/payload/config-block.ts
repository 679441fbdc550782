/**
 * The per-run config block inside a payload image (layout: boot/include/bk.h, boot/README.md).
 * The host patches it in the file before each boot: same block for `-kernel` ELF, flat binary,
 * PE, SD image or TFTP root. Only the block's own 96 bytes are rewritten; nothing else.
 */
import { randomBytes } from 'node:crypto';

import { BoardkitError } from '../core/errors.js';

/** "BOARDKIT" + 8 random bytes (boot/common/config.c). */
export const CONFIG_MAGIC = Uint8Array.of(0x42, 0x4f, 0x41, 0x52, 0x44, 0x4b, 0x49, 0x54, 0x9e, 0x1d, 0x57, 0xa3, 0xc4, 0x60, 0x2b, 0xf1);
export const CONFIG_VERSION = 1;
export const CONFIG_LENGTH = 96;
export const CONFIG_FLAG_PATCHED = 0x1;
export const CONFIG_FLAG_POWEROFF = 0x2;
export const CONFIG_FLAG_FAULT_PROBE = 0x4;

/** Field offsets (little-endian; IPv4 addresses in network byte order). */
const OFF = {
  version: 16,
  length: 18,
  flags: 20,
  nonce: 24,
  mac: 40,
  srcPort: 46,
  ip: 48,
  peerIp: 52,
  peerPort: 56,
  gpioWaitMs: 60,
  diskSigOffset: 64,
  diskSigLength: 72,
  sdRoute: 76,
} as const;

/** Config block `sd_route` values (boot/include/bk.h BK_SD_ROUTE_*). */
const SD_ROUTES = { sdhost: 1, sdhci: 2 } as const;
export type SdRoute = keyof typeof SD_ROUTES;

export class PayloadConfigError extends BoardkitError {
  constructor(message: string, hint: string) {
    super('E_PAYLOAD_CONFIG', 'input', message, { hint });
  }
}

export interface PayloadConfigValues {
  /** 16 random bytes, fresh per run (see newNonce). */
  nonce: Uint8Array;
  /** Source MAC of the UDP report frame, e.g. 52:54:00:12:34:56. */
  mac?: string;
  /** Source IPv4 address of the report datagram. */
  ip?: string;
  /** Destination IPv4 address (255.255.255.255 for a pure broadcast). */
  peerIp?: string;
  peerPort?: number;
  srcPort?: number;
  /** How long GPIO drivers wait for an input edge the host causes (ms). */
  gpioWaitMs?: number;
  /** Where the host wrote the disk signature (default MBR byte 440, 4 bytes). */
  diskSignatureOffset?: number;
  diskSignatureLength?: number;
  /** Which SD controller the GPIO driver routes the card to this run (default: as built). */
  sdRoute?: SdRoute;
  /** Power off after the report (needs a spec `exit` method); default: halt. */
  poweroff?: boolean;
  /**
   * Self-test of the exception path: the payload loads from an address its arch cannot access
   * right after the info line, so it must print `BOARDKIT fault ...` and stop.
   */
  faultProbe?: boolean;
}

export interface ConfigBlockLocation {
  offset: number;
  version: number;
  length: number;
}

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

function indexesOf(bytes: Uint8Array, needle: Uint8Array): number[] {
  const hits: number[] = [];
  const first = needle[0]!;
  for (let i = bytes.indexOf(first); i !== -1 && i <= bytes.length - needle.length; i = bytes.indexOf(first, i + 1)) {
    let ok = true;
    for (let j = 1; j < needle.length; j++)
      if (bytes[i + j] !== needle[j]) {
        ok = false;
        break;
      }
    if (ok) hits.push(i);
  }
  return hits;
}

/** Locates the one config block and checks its version and length. */
export function findConfigBlock(bytes: Uint8Array): ConfigBlockLocation {
  const hits = indexesOf(bytes, CONFIG_MAGIC);
  if (hits.length === 0)
    throw new PayloadConfigError('no boardkit config block in this image', 'build the payload with buildPayload (boot/); other kernels cannot be patched');
  if (hits.length > 1)
    throw new PayloadConfigError(`the config block magic occurs ${hits.length} times (offsets ${hits.join(', ')})`, 'the image holds more than one payload; patch each file separately');
  const offset = hits[0]!;
  if (offset + CONFIG_LENGTH > bytes.length) throw new PayloadConfigError('the config block is truncated', 'the image file is damaged');
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, CONFIG_LENGTH);
  const version = view.getUint16(OFF.version, true);
  const length = view.getUint16(OFF.length, true);
  if (version !== CONFIG_VERSION || length !== CONFIG_LENGTH)
    throw new PayloadConfigError(
      `config block version ${version}/length ${length}, this boardkit writes version ${CONFIG_VERSION}/length ${CONFIG_LENGTH}`,
      'rebuild the payload with this boardkit version',
    );
  return { offset, version, length };
}

function parseIpv4(text: string, what: string): number[] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  const parts = m ? m.slice(1).map(Number) : [];
  if (parts.length !== 4 || parts.some((p) => p > 255)) throw new PayloadConfigError(`${what} '${text}' is not an IPv4 address`, 'use dotted quad, e.g. 10.0.2.15');
  return parts;
}

function parseMac(text: string): number[] {
  const parts = text.split(/[:-]/).map((p) => (/^[0-9a-f]{2}$/i.test(p) ? parseInt(p, 16) : NaN));
  if (parts.length !== 6 || parts.some(Number.isNaN)) throw new PayloadConfigError(`mac '${text}' is not a MAC address`, 'use six hex octets, e.g. 52:54:00:12:34:56');
  return parts;
}

function u16(n: number | undefined, what: string): number {
  const v = n ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new PayloadConfigError(`${what} ${v} is not a 16-bit value`, 'ports are 0..65535');
  return v;
}

/** Returns a copy of `bytes` with the config block filled in; every other byte is unchanged. */
export function patchConfigBlock(bytes: Uint8Array, values: PayloadConfigValues): Uint8Array {
  const { offset } = findConfigBlock(bytes);
  if (values.nonce.length !== 16) throw new PayloadConfigError(`nonce must be 16 bytes, got ${values.nonce.length}`, 'use newNonce()');
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer, out.byteOffset + offset, CONFIG_LENGTH);
  const block = out.subarray(offset, offset + CONFIG_LENGTH);
  block.fill(0, OFF.flags);
  const flags = CONFIG_FLAG_PATCHED | (values.poweroff ? CONFIG_FLAG_POWEROFF : 0) | (values.faultProbe ? CONFIG_FLAG_FAULT_PROBE : 0);
  view.setUint32(OFF.flags, flags, true);
  block.set(values.nonce, OFF.nonce);
  if (values.mac) block.set(parseMac(values.mac), OFF.mac);
  view.setUint16(OFF.srcPort, u16(values.srcPort, 'srcPort'), true);
  if (values.ip) block.set(parseIpv4(values.ip, 'ip'), OFF.ip);
  if (values.peerIp) block.set(parseIpv4(values.peerIp, 'peerIp'), OFF.peerIp);
  view.setUint16(OFF.peerPort, u16(values.peerPort, 'peerPort'), true);
  view.setUint32(OFF.gpioWaitMs, values.gpioWaitMs ?? 0, true);
  view.setBigUint64(OFF.diskSigOffset, BigInt(values.diskSignatureOffset ?? 440), true);
  const sigLen = values.diskSignatureLength ?? 4;
  if (sigLen < 1 || sigLen > 8) throw new PayloadConfigError(`diskSignatureLength ${sigLen} is outside 1..8`, 'MBR signatures are 4 bytes');
  view.setUint32(OFF.diskSigLength, sigLen, true);
  if (values.sdRoute !== undefined) {
    if (!(values.sdRoute in SD_ROUTES)) throw new PayloadConfigError(`sdRoute '${String(values.sdRoute)}' is unknown`, `use ${Object.keys(SD_ROUTES).join(' or ')}`);
    view.setUint32(OFF.sdRoute, SD_ROUTES[values.sdRoute], true);
  }
  return out;
}

/** Reads the block back (for tests and for `boardkit payload inspect`). */
export function readConfigBlock(bytes: Uint8Array): PayloadConfigValues & { flags: number } {
  const { offset } = findConfigBlock(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, CONFIG_LENGTH);
  const b = bytes.subarray(offset, offset + CONFIG_LENGTH);
  const hx = (n: number): string => n.toString(16).padStart(2, '0');
  const flags = view.getUint32(OFF.flags, true);
  const route = (Object.keys(SD_ROUTES) as SdRoute[]).find((k) => SD_ROUTES[k] === view.getUint32(OFF.sdRoute, true));
  return {
    ...(route ? { sdRoute: route } : {}),
    flags,
    nonce: b.slice(OFF.nonce, OFF.nonce + 16),
    mac: [...b.subarray(OFF.mac, OFF.mac + 6)].map(hx).join(':'),
    srcPort: view.getUint16(OFF.srcPort, true),
    ip: [...b.subarray(OFF.ip, OFF.ip + 4)].join('.'),
    peerIp: [...b.subarray(OFF.peerIp, OFF.peerIp + 4)].join('.'),
    peerPort: view.getUint16(OFF.peerPort, true),
    gpioWaitMs: view.getUint32(OFF.gpioWaitMs, true),
    diskSignatureOffset: Number(view.getBigUint64(OFF.diskSigOffset, true)),
    diskSignatureLength: view.getUint32(OFF.diskSigLength, true),
    poweroff: (flags & CONFIG_FLAG_POWEROFF) !== 0,
    faultProbe: (flags & CONFIG_FLAG_FAULT_PROBE) !== 0,
  };
}
