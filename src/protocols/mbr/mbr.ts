/**
 * Master Boot Record partition table codec (pure: values in, 512 bytes out, and back).
 *
 * Layout (UEFI 2.10 §5.2.1 "Legacy Master Boot Record", Table 5-1 and 5-2):
 *   0   boot code (440 bytes; ours is zero: firmware, not BIOS, boots these images)
 *   440 unique MBR disk signature (u32 LE)
 *   444 unknown (2 bytes, zero)
 *   446 four 16-byte partition records
 *   510 signature 0x55 0xAA
 * A partition record: 0 boot indicator (0x80 = bootable), 1 starting CHS (3 bytes),
 *   4 OS type, 5 ending CHS, 8 starting LBA (u32 LE), 12 size in LBA (u32 LE).
 */

export const MBR_SIZE = 512;
/** UEFI 2.10 Table 5-1: offset of the disk signature. */
export const MBR_DISK_SIGNATURE_OFFSET = 440;
/** UEFI 2.10 Table 5-1: offset of the first partition record. */
export const MBR_PARTITION_TABLE_OFFSET = 446;
export const MBR_PARTITION_RECORD_SIZE = 16;
export const MBR_MAX_PARTITIONS = 4;
/** UEFI 2.10 Table 5-1: 0xAA55 at offset 510. */
export const MBR_SIGNATURE = [0x55, 0xaa] as const;
/** UEFI 2.10 Table 5-2: BootIndicator value for a bootable legacy partition. */
export const MBR_BOOTABLE = 0x80;
/** UEFI 2.10 §5.2.3: the protective MBR's partition OS type (GPT protective). */
export const MBR_TYPE_GPT_PROTECTIVE = 0xee;

/** Common OS type bytes (the values `sfdisk -T` lists). */
export const MbrType = { empty: 0x00, fat12: 0x01, fat16: 0x06, fat32Chs: 0x0b, fat32: 0x0c, fat16Lba: 0x0e, linux: 0x83, esp: 0xef, gptProtective: 0xee } as const;

/** Largest CHS value: past 1023 cylinders the fields are saturated (UEFI 2.10 §5.2.3 uses 0xFFFFFF). */
const CHS_LIMIT = [0xfe, 0xff, 0xff] as const;
/** Conventional translation geometry for LBA → CHS (255 heads, 63 sectors per track). */
const HEADS = 255;
const SECTORS = 63;

export interface MbrPartition {
  bootable: boolean;
  type: number;
  firstLba: number;
  sizeLba: number;
}

export interface Mbr {
  diskSignature: number;
  partitions: MbrPartition[];
}

export class MbrError extends Error {}

/** The 3-byte CHS address of `lba` under 255/63 translation; saturated past cylinder 1023. */
export function chsOf(lba: number): [number, number, number] {
  const c = Math.floor(lba / (HEADS * SECTORS));
  if (c > 1023) return [...CHS_LIMIT];
  const h = Math.floor(lba / SECTORS) % HEADS;
  const s = (lba % SECTORS) + 1;
  return [h, ((c >> 2) & 0xc0) | s, c & 0xff];
}

function u32(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new MbrError(`${what} ${n} does not fit 32 bits`);
  return n;
}

/** One partition record (16 bytes) written at `at`. */
function writeRecord(out: Uint8Array, at: number, p: MbrPartition): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (p.type < 0 || p.type > 0xff) throw new MbrError(`type 0x${p.type.toString(16)} is not a byte`);
  out[at] = p.bootable ? MBR_BOOTABLE : 0;
  out.set(chsOf(p.firstLba), at + 1);
  out[at + 4] = p.type;
  out.set(chsOf(p.firstLba + p.sizeLba - 1), at + 5);
  v.setUint32(at + 8, u32(p.firstLba, 'first LBA'), true);
  v.setUint32(at + 12, u32(p.sizeLba, 'size in LBA'), true);
}

/** The whole 512-byte sector. Overlap and ordering are the plan's job; this only encodes. */
export function encodeMbr(mbr: Mbr): Uint8Array {
  if (mbr.partitions.length > MBR_MAX_PARTITIONS) throw new MbrError(`an MBR holds ${MBR_MAX_PARTITIONS} primary partitions, not ${mbr.partitions.length}`);
  const out = new Uint8Array(MBR_SIZE);
  new DataView(out.buffer).setUint32(MBR_DISK_SIGNATURE_OFFSET, u32(mbr.diskSignature, 'disk signature'), true);
  mbr.partitions.forEach((p, i) => writeRecord(out, MBR_PARTITION_TABLE_OFFSET + i * MBR_PARTITION_RECORD_SIZE, p));
  out.set(MBR_SIGNATURE, 510);
  return out;
}

/**
 * The protective MBR of a GPT disk (UEFI 2.10 §5.2.3, Table 5-4): one record of type 0xEE from
 * LBA 1 to the end of the disk, or 0xFFFFFFFF when the disk is larger than 2 TiB; not bootable.
 */
export function encodeProtectiveMbr(totalSectors: number): Uint8Array {
  const size = Math.min(totalSectors - 1, 0xffffffff);
  const out = encodeMbr({ diskSignature: 0, partitions: [{ bootable: false, type: MBR_TYPE_GPT_PROTECTIVE, firstLba: 1, sizeLba: size }] });
  // Table 5-4: StartingCHS 0x000200 (cylinder 0, head 0, sector 2).
  out.set([0x00, 0x02, 0x00], MBR_PARTITION_TABLE_OFFSET + 1);
  return out;
}

/** Parses a sector; empty records (type 0) are left out. */
export function decodeMbr(sector: Uint8Array): Mbr {
  if (sector.length < MBR_SIZE) throw new MbrError('shorter than 512 bytes');
  if (sector[510] !== MBR_SIGNATURE[0] || sector[511] !== MBR_SIGNATURE[1]) throw new MbrError('no 0x55AA signature at offset 510');
  const v = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const partitions: MbrPartition[] = [];
  for (let i = 0; i < MBR_MAX_PARTITIONS; i++) {
    const at = MBR_PARTITION_TABLE_OFFSET + i * MBR_PARTITION_RECORD_SIZE;
    const type = sector[at + 4]!;
    if (type === MbrType.empty) continue;
    partitions.push({ bootable: sector[at] === MBR_BOOTABLE, type, firstLba: v.getUint32(at + 8, true), sizeLba: v.getUint32(at + 12, true) });
  }
  return { diskSignature: v.getUint32(MBR_DISK_SIGNATURE_OFFSET, true), partitions };
}
