/**
 * GUIDs as GPT stores them (UEFI 2.10 Appendix A, EFI_GUID): the first three fields little-endian,
 * the last 8 bytes in order ("mixed-endian"), and the partition type aliases layouts use.
 */

/** UEFI 2.10 Table 5-7 and the registries the tools use (sgdisk's type list). */
export const GptTypeAlias = {
  /** EFI System Partition (UEFI 2.10 Table 5-7). */
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  /** Linux filesystem data (freedesktop Discoverable Partitions spec). */
  linux: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  /** Microsoft basic data: FAT partitions other than the ESP. */
  fat32: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
  /** SiFive FSBL/U-Boot SPL (U-Boot doc/board/sifive/unmatched.rst, sgdisk -t 1:5B193300-...). */
  'sifive-spl': '5B193300-FC78-40CD-8002-E86C45580B47',
  /** SiFive U-Boot ITB (same document). */
  'sifive-uboot': '2E54B353-1271-4842-806F-E436D6AF6985',
} as const;

export type GptTypeAliasName = keyof typeof GptTypeAlias;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}

/** An alias or a GUID → the canonical upper-case GUID; undefined when neither. */
export function resolveGptType(s: string): string | undefined {
  if (Object.hasOwn(GptTypeAlias, s)) return GptTypeAlias[s as GptTypeAliasName];
  return isGuid(s) ? s.toUpperCase() : undefined;
}

export function guidToBytes(guid: string): Uint8Array {
  if (!isGuid(guid)) throw new Error(`'${guid}' is not a GUID`);
  const h = guid.replace(/-/g, '');
  const b = Uint8Array.from({ length: 16 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
  const swap = (a: number, n: number) => b.subarray(a, a + n).reverse();
  swap(0, 4);
  swap(4, 2);
  swap(6, 2);
  return b;
}

export function bytesToGuid(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A version-4-shaped GUID from 16 bytes of seed material (e.g. a hash), so reproducible builds
 * get stable disk and partition GUIDs (RFC 4122 §4.4 variant and version bits set).
 */
export function guidFromSeed(seed: Uint8Array): string {
  const b = Uint8Array.from(seed.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
