/**
 * Legacy U-Boot image (uImage) codec, as used for `boot.scr` (U-Boot include/image.h,
 * `struct legacy_img_hdr`; tools/default_image.c). All fields are big-endian:
 *
 *   0 magic 0x27051956 · 4 header CRC32 (computed with this field zero) · 8 time (s since epoch)
 *   12 data size · 16 load address · 20 entry point · 24 data CRC32 · 28 os · 29 arch · 30 type
 *   31 compression · 32 name (32 bytes, NUL-padded)  → 64 bytes, then the data.
 *
 * Script and multi-file images (type 6 / 4) start their data with a table of u32 image lengths
 * ended by a 0, then each image padded to 4 bytes (the last one unpadded) (U-Boot
 * `image_multi_getimg`, `mkimage -T script`). Pure: bytes in, bytes out.
 */

export const UIMAGE_MAGIC = 0x27051956;
export const UIMAGE_HEADER_SIZE = 64;
const NAME_LEN = 32;

/** include/image.h enums (the values mkimage -l names). */
export const UImageOs = { invalid: 0, linux: 5, u_boot: 17 } as const;
export const UImageArch = { invalid: 0, arm: 2, i386: 3, mips: 5, powerpc: 7, sandbox: 19, arm64: 22, x86_64: 24, riscv: 26 } as const;
export const UImageType = { invalid: 0, standalone: 1, kernel: 2, ramdisk: 3, multi: 4, firmware: 5, script: 6, filesystem: 7 } as const;
export const UImageComp = { none: 0, gzip: 1, bzip2: 2, lzma: 3, lzo: 4, lz4: 5, zstd: 6 } as const;

export interface UImageHeader {
  magic: number;
  headerCrc: number;
  /** Seconds since the epoch. */
  time: number;
  size: number;
  load: number;
  entry: number;
  dataCrc: number;
  os: number;
  arch: number;
  type: number;
  comp: number;
  name: string;
}

export class UImageError extends Error {}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected, as zlib's crc32 that U-Boot uses). */
export function crc32(bytes: Uint8Array, seed = 0): number {
  let c = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface EncodeUImageOptions {
  name?: string;
  arch?: number;
  os?: number;
  type?: number;
  comp?: number;
  load?: number;
  entry?: number;
  /** Seconds since the epoch; fixed values make images reproducible (default 0). */
  time?: number;
}

/** Builds a legacy image around `data` (already in its final form: for scripts use `encodeScriptImage`). */
export function encodeUImage(data: Uint8Array, o: EncodeUImageOptions = {}): Uint8Array {
  const out = new Uint8Array(UIMAGE_HEADER_SIZE + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, UIMAGE_MAGIC);
  v.setUint32(8, (o.time ?? 0) >>> 0);
  v.setUint32(12, data.length);
  v.setUint32(16, (o.load ?? 0) >>> 0);
  v.setUint32(20, (o.entry ?? 0) >>> 0);
  v.setUint32(24, crc32(data));
  out[28] = o.os ?? UImageOs.linux;
  out[29] = o.arch ?? UImageArch.arm;
  out[30] = o.type ?? UImageType.kernel;
  out[31] = o.comp ?? UImageComp.none;
  const name = new TextEncoder().encode(o.name ?? '');
  if (name.length > NAME_LEN) throw new UImageError(`image name longer than ${NAME_LEN} bytes`);
  out.set(name, 32); // NUL-padded; a full 32-byte name has no NUL (as mkimage does)
  out.set(data, UIMAGE_HEADER_SIZE);
  v.setUint32(4, crc32(out.subarray(0, UIMAGE_HEADER_SIZE)));
  return out;
}

/** Data part of a script/multi image: the length table, a 0, then each part padded to 4 bytes except the last. */
export function encodeMultiData(parts: Uint8Array[]): Uint8Array {
  const pad = (n: number) => (4 - (n % 4)) % 4;
  const body = parts.reduce((n, p, i) => n + p.length + (i < parts.length - 1 ? pad(p.length) : 0), 0);
  const out = new Uint8Array(4 * (parts.length + 1) + body);
  const v = new DataView(out.buffer);
  parts.forEach((p, i) => v.setUint32(4 * i, p.length));
  let at = 4 * (parts.length + 1);
  parts.forEach((p, i) => {
    out.set(p, at);
    at += p.length + (i < parts.length - 1 ? pad(p.length) : 0);
  });
  return out;
}

/** A `boot.scr` as `mkimage -T script -C none -n NAME -d script.txt` makes it. */
export function encodeScriptImage(script: string | Uint8Array, o: Omit<EncodeUImageOptions, 'type' | 'comp'> = {}): Uint8Array {
  const text = typeof script === 'string' ? new TextEncoder().encode(script) : script;
  return encodeUImage(encodeMultiData([text]), { ...o, type: UImageType.script, comp: UImageComp.none });
}

/** Parses and checks a header (magic, header CRC; data CRC when `verifyData`). */
export function decodeUImageHeader(bytes: Uint8Array): UImageHeader {
  if (bytes.length < UIMAGE_HEADER_SIZE) throw new UImageError('shorter than a 64-byte uImage header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0);
  if (magic !== UIMAGE_MAGIC) throw new UImageError(`bad magic 0x${magic.toString(16)}`);
  const headerCrc = v.getUint32(4);
  const copy = bytes.slice(0, UIMAGE_HEADER_SIZE);
  copy.fill(0, 4, 8);
  if (crc32(copy) !== headerCrc) throw new UImageError('header CRC mismatch');
  const nameBytes = bytes.subarray(32, 64);
  const nul = nameBytes.indexOf(0);
  return {
    magic,
    headerCrc,
    time: v.getUint32(8),
    size: v.getUint32(12),
    load: v.getUint32(16),
    entry: v.getUint32(20),
    dataCrc: v.getUint32(24),
    os: bytes[28]!,
    arch: bytes[29]!,
    type: bytes[30]!,
    comp: bytes[31]!,
    name: new TextDecoder('latin1').decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul)),
  };
}

/** Decodes a whole image: header plus data, checking both CRCs. */
export function decodeUImage(bytes: Uint8Array): { header: UImageHeader; data: Uint8Array } {
  const header = decodeUImageHeader(bytes);
  if (bytes.length < UIMAGE_HEADER_SIZE + header.size) throw new UImageError(`truncated: header says ${header.size} data bytes`);
  const data = bytes.subarray(UIMAGE_HEADER_SIZE, UIMAGE_HEADER_SIZE + header.size);
  if (crc32(data) !== header.dataCrc) throw new UImageError('data CRC mismatch');
  return { header, data };
}

/** Splits script/multi data into its parts using the length table. */
export function decodeMultiData(data: Uint8Array): Uint8Array[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const lengths: number[] = [];
  let at = 0;
  for (;;) {
    if (at + 4 > data.length) throw new UImageError('length table not terminated');
    const n = v.getUint32(at);
    at += 4;
    if (n === 0) break;
    lengths.push(n);
  }
  const parts: Uint8Array[] = [];
  lengths.forEach((n, i) => {
    if (at + n > data.length) throw new UImageError(`part ${i} overruns the data`);
    parts.push(data.subarray(at, at + n));
    at += n + (i < lengths.length - 1 ? (4 - (n % 4)) % 4 : 0);
  });
  return parts;
}

/** The script text of a `boot.scr` (type script, uncompressed). */
export function decodeScriptImage(bytes: Uint8Array): string {
  const { header, data } = decodeUImage(bytes);
  if (header.type !== UImageType.script) throw new UImageError(`not a script image (type ${header.type})`);
  if (header.comp !== UImageComp.none) throw new UImageError('compressed scripts are not supported');
  const parts = decodeMultiData(data);
  if (parts.length === 0) throw new UImageError('script image has no parts');
  return new TextDecoder().decode(parts[0]);
}
