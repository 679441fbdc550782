/**
 * GUID Partition Table codec (UEFI 2.10 §5.3). Pure: a table in, the primary (LBA 0 … first
 * usable − 1) and backup (entries then header, ending at the last LBA) byte runs out, and back.
 *
 * Header (Table 5-5, little-endian): 0 "EFI PART" · 8 revision 0x00010000 · 12 header size 92 ·
 *   16 header CRC32 (computed with this field zero, over HeaderSize bytes) · 20 reserved 0 ·
 *   24 MyLBA · 32 AlternateLBA · 40 FirstUsableLBA · 48 LastUsableLBA · 56 DiskGUID ·
 *   72 PartitionEntryLBA · 80 NumberOfPartitionEntries · 84 SizeOfPartitionEntry ·
 *   88 PartitionEntryArrayCRC32; the rest of the block is zero.
 * Entry (Table 5-6): 0 PartitionTypeGUID · 16 UniquePartitionGUID · 32 StartingLBA ·
 *   40 EndingLBA (inclusive) · 48 Attributes · 56 PartitionName (36 UTF-16LE code units).
 */
import { crc32 } from '../uimage.js';
import { encodeProtectiveMbr } from '../mbr/mbr.js';
import { guidToBytes, bytesToGuid } from './guid.js';

/** Table 5-5: Signature, ASCII "EFI PART". */
export const GPT_SIGNATURE = 'EFI PART';
/** Table 5-5: Revision 1.0. */
export const GPT_REVISION = 0x00010000;
/** Table 5-5: HeaderSize, 92 bytes. */
export const GPT_HEADER_SIZE = 92;
/** §5.3.2: at least 16,384 bytes of entries are reserved: 128 entries of 128 bytes. */
export const GPT_ENTRY_COUNT = 128;
export const GPT_ENTRY_SIZE = 128;
/** Table 5-6: PartitionName is 72 bytes (36 UTF-16 code units). */
export const GPT_NAME_UNITS = 36;
/** Table 5-7: attribute bit 2, Legacy BIOS Bootable. */
export const GPT_ATTR_LEGACY_BIOS_BOOTABLE = 1n << 2n;

export interface GptPartition {
  typeGuid: string;
  uniqueGuid: string;
  firstLba: number;
  /** Inclusive (Table 5-6). */
  lastLba: number;
  attributes?: bigint;
  name?: string;
}

export interface GptTable {
  diskGuid: string;
  sectorSize: number;
  /** Sectors of the whole disk: the backup header is at totalSectors − 1 (§5.3.2). */
  totalSectors: number;
  partitions: GptPartition[];
}

export class GptError extends Error {}

/** Sectors the entry array takes (32 at 512-byte sectors). */
export function entryArraySectors(sectorSize: number): number {
  return Math.ceil((GPT_ENTRY_COUNT * GPT_ENTRY_SIZE) / sectorSize);
}

/** First and last usable LBA for a disk: after the primary array, before the backup array. */
export function usableRange(totalSectors: number, sectorSize = 512): { firstUsable: number; lastUsable: number } {
  const n = entryArraySectors(sectorSize);
  return { firstUsable: 2 + n, lastUsable: totalSectors - 2 - n };
}

function encodeEntries(t: GptTable): Uint8Array {
  const out = new Uint8Array(entryArraySectors(t.sectorSize) * t.sectorSize);
  const v = new DataView(out.buffer);
  if (t.partitions.length > GPT_ENTRY_COUNT) throw new GptError(`at most ${GPT_ENTRY_COUNT} partitions`);
  const { firstUsable, lastUsable } = usableRange(t.totalSectors, t.sectorSize);
  t.partitions.forEach((p, i) => {
    if (p.firstLba < firstUsable || p.lastLba > lastUsable || p.lastLba < p.firstLba) {
      throw new GptError(`partition ${i + 1} (LBA ${p.firstLba}-${p.lastLba}) is outside the usable range ${firstUsable}-${lastUsable}`);
    }
    const at = i * GPT_ENTRY_SIZE;
    out.set(guidToBytes(p.typeGuid), at);
    out.set(guidToBytes(p.uniqueGuid), at + 16);
    v.setBigUint64(at + 32, BigInt(p.firstLba), true);
    v.setBigUint64(at + 40, BigInt(p.lastLba), true);
    v.setBigUint64(at + 48, p.attributes ?? 0n, true);
    const name = p.name ?? '';
    if (name.length > GPT_NAME_UNITS) throw new GptError(`partition name '${name}' is longer than ${GPT_NAME_UNITS} UTF-16 units`);
    for (let k = 0; k < name.length; k++) v.setUint16(at + 56 + 2 * k, name.charCodeAt(k), true);
  });
  return out;
}

function encodeHeader(t: GptTable, myLba: number, altLba: number, entriesLba: number, entriesCrc: number): Uint8Array {
  const out = new Uint8Array(t.sectorSize);
  const v = new DataView(out.buffer);
  const { firstUsable, lastUsable } = usableRange(t.totalSectors, t.sectorSize);
  out.set(new TextEncoder().encode(GPT_SIGNATURE), 0);
  v.setUint32(8, GPT_REVISION, true);
  v.setUint32(12, GPT_HEADER_SIZE, true);
  v.setBigUint64(24, BigInt(myLba), true);
  v.setBigUint64(32, BigInt(altLba), true);
  v.setBigUint64(40, BigInt(firstUsable), true);
  v.setBigUint64(48, BigInt(lastUsable), true);
  out.set(guidToBytes(t.diskGuid), 56);
  v.setBigUint64(72, BigInt(entriesLba), true);
  v.setUint32(80, GPT_ENTRY_COUNT, true);
  v.setUint32(84, GPT_ENTRY_SIZE, true);
  v.setUint32(88, entriesCrc, true);
  v.setUint32(16, crc32(out.subarray(0, GPT_HEADER_SIZE)), true);
  return out;
}

export interface EncodedGpt {
  /** LBA 0 (protective MBR), LBA 1 (header), LBA 2… (entries): written at byte 0. */
  primary: Uint8Array;
  /** Backup entries then the backup header (§5.3.2): written at `backupOffset`. */
  backup: Uint8Array;
  backupOffset: number;
}

export function encodeGpt(t: GptTable): EncodedGpt {
  const entries = encodeEntries(t);
  const entriesCrc = crc32(entries);
  const n = entryArraySectors(t.sectorSize);
  const last = t.totalSectors - 1;
  const primary = new Uint8Array((2 + n) * t.sectorSize);
  primary.set(encodeProtectiveMbr(t.totalSectors), 0);
  primary.set(encodeHeader(t, 1, last, 2, entriesCrc), t.sectorSize);
  primary.set(entries, 2 * t.sectorSize);
  const backup = new Uint8Array((n + 1) * t.sectorSize);
  backup.set(entries, 0);
  backup.set(encodeHeader(t, last, 1, last - n, entriesCrc), n * t.sectorSize);
  return { primary, backup, backupOffset: (last - n) * t.sectorSize };
}

export interface DecodedGptHeader {
  myLba: number;
  alternateLba: number;
  firstUsable: number;
  lastUsable: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

/** Parses a header block, checking the signature and its CRC32. */
export function decodeGptHeader(block: Uint8Array): DecodedGptHeader {
  const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (new TextDecoder('latin1').decode(block.subarray(0, 8)) !== GPT_SIGNATURE) throw new GptError('no "EFI PART" signature');
  const size = v.getUint32(12, true);
  if (size < GPT_HEADER_SIZE || size > block.length) throw new GptError(`header size ${size} is invalid`);
  const copy = block.slice(0, size);
  copy.fill(0, 16, 20);
  if (crc32(copy) !== v.getUint32(16, true)) throw new GptError('header CRC32 mismatch');
  const n = (o: number) => Number(v.getBigUint64(o, true));
  return {
    myLba: n(24),
    alternateLba: n(32),
    firstUsable: n(40),
    lastUsable: n(48),
    diskGuid: bytesToGuid(block.subarray(56, 72)),
    entriesLba: n(72),
    entryCount: v.getUint32(80, true),
    entrySize: v.getUint32(84, true),
    entriesCrc: v.getUint32(88, true),
  };
}

/** Parses the entry array against its header (CRC checked); unused entries (zero type) are left out. */
export function decodeGptEntries(bytes: Uint8Array, h: DecodedGptHeader): GptPartition[] {
  const len = h.entryCount * h.entrySize;
  if (bytes.length < len) throw new GptError('entry array truncated');
  if (crc32(bytes.subarray(0, len)) !== h.entriesCrc) throw new GptError('partition entry array CRC32 mismatch');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: GptPartition[] = [];
  for (let i = 0; i < h.entryCount; i++) {
    const at = i * h.entrySize;
    if (bytes.subarray(at, at + 16).every((b) => b === 0)) continue;
    let name = '';
    for (let k = 0; k < GPT_NAME_UNITS; k++) {
      const c = v.getUint16(at + 56 + 2 * k, true);
      if (c === 0) break;
      name += String.fromCharCode(c);
    }
    out.push({
      typeGuid: bytesToGuid(bytes.subarray(at, at + 16)),
      uniqueGuid: bytesToGuid(bytes.subarray(at + 16, at + 32)),
      firstLba: Number(v.getBigUint64(at + 32, true)),
      lastLba: Number(v.getBigUint64(at + 40, true)),
      attributes: v.getBigUint64(at + 48, true),
      name,
    });
  }
  return out;
}
