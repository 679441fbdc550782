/**
 * Boot sector (BPB) and FSInfo codec, fatgen103 §3.1–§3.3 and §5. Little-endian throughout.
 *
 * Common BPB: 0 jmp EB 58 90 (FAT32) / EB 3C 90 · 3 OEM name[8] · 11 BytsPerSec · 13 SecPerClus ·
 *   14 RsvdSecCnt · 16 NumFATs · 17 RootEntCnt · 19 TotSec16 · 21 Media · 22 FATSz16 · 24 SecPerTrk ·
 *   26 NumHeads · 28 HiddSec · 32 TotSec32.
 * FAT12/16 (§3.2): 36 DrvNum · 37 reserved · 38 BootSig 0x29 · 39 VolID · 43 VolLab[11] · 54 FilSysType[8].
 * FAT32 (§3.3): 36 FATSz32 · 40 ExtFlags · 42 FSVer · 44 RootClus · 48 FSInfo · 50 BkBootSec ·
 *   52 reserved[12] · 64 DrvNum · 66 BootSig · 67 VolID · 71 VolLab · 82 FilSysType.
 * Every boot sector ends with 0x55 0xAA at 510 (§3.2 note).
 */
import { FAT_SECTOR_SIZE, fatTypeOf, type FatGeometry } from './geometry.js';

/** fatgen103 §3.1: BPB_Media 0xF8 for fixed media; FAT[0] repeats it. */
export const MEDIA_FIXED = 0xf8;
/** fatgen103 §3.2: BS_BootSig 0x29 means VolID, VolLab and FilSysType are present. */
export const EXTENDED_BOOT_SIGNATURE = 0x29;
/** fatgen103 §3.3: BPB_FSInfo sector, and BPB_BkBootSec "6 is the only value recommended". */
export const FSINFO_SECTOR = 1;
export const BACKUP_BOOT_SECTOR = 6;
/** fatgen103 §5: FSI_LeadSig, FSI_StrucSig, FSI_TrailSig. */
export const FSINFO_LEAD_SIG = 0x41615252;
export const FSINFO_STRUC_SIG = 0x61417272;
export const FSINFO_TRAIL_SIG = 0xaa550000;
/** BS_DrvNum 0x80: a hard disk (fatgen103 §3.2). */
const DRIVE_NUMBER = 0x80;
const OEM_NAME = 'BOARDKIT';
/** BPB_SecPerTrk/BPB_NumHeads: only INT 13h reads them; the usual LBA translation geometry. */
const SECTORS_PER_TRACK = 63;
const HEADS = 255;

export interface BootSectorFields {
  geometry: FatGeometry;
  volumeId: number;
  /** Up to 11 characters; "NO NAME" when absent (fatgen103 §3.2). */
  label?: string;
  /** BPB_HiddSec: the partition's first LBA. */
  hiddenSectors: number;
}

export function padLabel(label: string | undefined): Uint8Array {
  const s = (label ?? 'NO NAME').toUpperCase().slice(0, 11).padEnd(11, ' ');
  return Uint8Array.from(s, (c) => (c.charCodeAt(0) < 128 ? c.charCodeAt(0) : 0x5f));
}

export function encodeBootSector(f: BootSectorFields): Uint8Array {
  const g = f.geometry;
  const out = new Uint8Array(FAT_SECTOR_SIZE);
  const v = new DataView(out.buffer);
  const fat32 = g.type === 32;
  out.set([0xeb, fat32 ? 0x58 : 0x3c, 0x90], 0);
  out.set(new TextEncoder().encode(OEM_NAME), 3);
  v.setUint16(11, FAT_SECTOR_SIZE, true);
  out[13] = g.sectorsPerCluster;
  v.setUint16(14, g.reservedSectors, true);
  out[16] = g.fatCount;
  v.setUint16(17, g.rootEntries, true);
  // §3.1: TotSec16 when the count fits 16 bits (and not FAT32), else TotSec32.
  if (!fat32 && g.totalSectors < 0x10000) v.setUint16(19, g.totalSectors, true);
  else v.setUint32(32, g.totalSectors, true);
  out[21] = MEDIA_FIXED;
  if (!fat32) v.setUint16(22, g.sectorsPerFat, true);
  v.setUint16(24, SECTORS_PER_TRACK, true);
  v.setUint16(26, HEADS, true);
  v.setUint32(28, f.hiddenSectors, true);
  const tail = fat32 ? 64 : 36;
  if (fat32) {
    v.setUint32(36, g.sectorsPerFat, true);
    v.setUint16(40, 0, true); // ExtFlags 0: the FAT is mirrored into every copy
    v.setUint16(42, 0, true); // FSVer 0:0
    v.setUint32(44, 2, true); // RootClus
    v.setUint16(48, FSINFO_SECTOR, true);
    v.setUint16(50, BACKUP_BOOT_SECTOR, true);
  }
  out[tail] = DRIVE_NUMBER;
  out[tail + 2] = EXTENDED_BOOT_SIGNATURE;
  v.setUint32(tail + 3, f.volumeId >>> 0, true);
  out.set(padLabel(f.label), tail + 7);
  out.set(new TextEncoder().encode(fat32 ? 'FAT32   ' : g.type === 16 ? 'FAT16   ' : 'FAT12   '), tail + 18);
  // Boot code stays zero: firmware reads these volumes, nothing executes the boot sector.
  out[510] = 0x55;
  out[511] = 0xaa;
  return out;
}

/** fatgen103 §5: free count and next-free hint; 0xFFFFFFFF means unknown. */
export function encodeFsInfo(freeClusters: number, nextFree: number): Uint8Array {
  const out = new Uint8Array(FAT_SECTOR_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, FSINFO_LEAD_SIG, true);
  v.setUint32(484, FSINFO_STRUC_SIG, true);
  v.setUint32(488, freeClusters >>> 0, true);
  v.setUint32(492, nextFree >>> 0, true);
  v.setUint32(508, FSINFO_TRAIL_SIG, true);
  return out;
}

export interface DecodedBootSector {
  geometry: FatGeometry;
  volumeId: number;
  label: string;
  rootCluster: number;
  hiddenSectors: number;
}

export class FatFormatError extends Error {}

/** Parses a boot sector; the type comes from the cluster count as fatgen103 §3.5 demands. */
export function decodeBootSector(sector: Uint8Array): DecodedBootSector {
  const v = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  if (sector[510] !== 0x55 || sector[511] !== 0xaa) throw new FatFormatError('no 0x55AA signature at 510');
  const bytesPerSector = v.getUint16(11, true);
  if (bytesPerSector !== FAT_SECTOR_SIZE) throw new FatFormatError(`${bytesPerSector}-byte sectors are not supported`);
  const spc = sector[13]!;
  const reserved = v.getUint16(14, true);
  const fats = sector[16]!;
  const rootEntries = v.getUint16(17, true);
  const total = v.getUint16(19, true) || v.getUint32(32, true);
  const fatSz = v.getUint16(22, true) || v.getUint32(36, true);
  const rootDirSectors = Math.ceil((rootEntries * 32) / FAT_SECTOR_SIZE);
  const firstDataSector = reserved + fats * fatSz + rootDirSectors;
  const clusterCount = Math.floor((total - firstDataSector) / spc);
  const type = fatTypeOf(clusterCount);
  const tail = type === 32 ? 64 : 36;
  const geometry: FatGeometry = { type, totalSectors: total, sectorsPerCluster: spc, reservedSectors: reserved, fatCount: fats, rootEntries, rootDirSectors, sectorsPerFat: fatSz, firstDataSector, clusterCount };
  return {
    geometry,
    volumeId: v.getUint32(tail + 3, true),
    label: new TextDecoder('latin1').decode(sector.subarray(tail + 7, tail + 18)).trimEnd(),
    rootCluster: type === 32 ? v.getUint32(44, true) : 0,
    hiddenSectors: v.getUint32(28, true),
  };
}
