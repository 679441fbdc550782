/**
 * `image inspect`: what an image holds, read with our own codecs (no loop mount): the partition
 * table (GPT when LBA 1 says "EFI PART", else MBR), each partition, the FAT tree of FAT partitions,
 * and the text of generated boot files (U-Boot script images).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { BoardkitError } from '../core/errors.js';
import { FatReader, type FatEntry } from '../protocols/fat/index.js';
import { decodeGptEntries, decodeGptHeader } from '../protocols/gpt/index.js';
import { decodeMbr, MBR_TYPE_GPT_PROTECTIVE } from '../protocols/mbr/index.js';
import { decodeScriptImage } from '../protocols/uimage.js';

const SECTOR = 512;

export interface InspectedPartition {
  index: number;
  type: string;
  name?: string;
  bootable?: boolean;
  uniqueGuid?: string;
  firstLba: number;
  sizeLba: number;
  filesystem?: { type: string; label: string; volumeId: string; clusterBytes: number; clusters: number };
  files?: Array<{ path: string; size: number; directory: boolean }>;
  scripts?: Array<{ path: string; text: string }>;
}

export interface InspectedImage {
  size: number;
  table: 'gpt' | 'mbr';
  diskId: string;
  partitions: InspectedPartition[];
}

export class ImageFormatError extends BoardkitError {
  constructor(message: string, cause?: unknown) {
    super('E_IMAGE_FORMAT', 'input', message, { hint: 'is this a disk image (not a partition or a compressed file)?', ...(cause ? { cause } : {}) });
  }
}

export function inspectImage(path: string): InspectedImage {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number) => {
      const b = new Uint8Array(length);
      readSync(fd, b, 0, length, offset);
      return b;
    };
    let mbr;
    try {
      mbr = decodeMbr(read(0, SECTOR));
    } catch (e) {
      throw new ImageFormatError(`${path}: no partition table`, e);
    }
    let table: InspectedImage['table'] = 'mbr';
    let diskId = `0x${mbr.diskSignature.toString(16).padStart(8, '0')}`;
    let partitions: InspectedPartition[];
    if (mbr.partitions.some((p) => p.type === MBR_TYPE_GPT_PROTECTIVE)) {
      table = 'gpt';
      const h = decodeGptHeader(read(SECTOR, SECTOR));
      diskId = h.diskGuid;
      partitions = decodeGptEntries(read(h.entriesLba * SECTOR, h.entryCount * h.entrySize), h).map((p, i) => ({
        index: i + 1,
        type: p.typeGuid,
        ...(p.name ? { name: p.name } : {}),
        uniqueGuid: p.uniqueGuid,
        firstLba: p.firstLba,
        sizeLba: p.lastLba - p.firstLba + 1,
      }));
    } else {
      partitions = mbr.partitions.map((p, i) => ({ index: i + 1, type: `0x${p.type.toString(16).padStart(2, '0')}`, bootable: p.bootable, firstLba: p.firstLba, sizeLba: p.sizeLba }));
    }
    for (const p of partitions) inspectFat(p, { read }, size);
    return { size, table, diskId, partitions };
  } finally {
    closeSync(fd);
  }
}

function inspectFat(p: InspectedPartition, src: { read(o: number, n: number): Uint8Array }, size: number): void {
  if ((p.firstLba + p.sizeLba) * SECTOR > size) return;
  let reader: FatReader;
  try {
    reader = new FatReader(src, p.firstLba * SECTOR);
  } catch {
    return; // not FAT: reported without a filesystem
  }
  const g = reader.boot.geometry;
  p.filesystem = { type: `fat${g.type}`, label: reader.boot.label, volumeId: `0x${reader.boot.volumeId.toString(16).padStart(8, '0')}`, clusterBytes: g.sectorsPerCluster * SECTOR, clusters: g.clusterCount };
  const entries: FatEntry[] = reader.walk();
  p.files = entries.map((e) => ({ path: e.path, size: e.size, directory: e.isDirectory }));
  p.scripts = [];
  for (const e of entries) {
    if (e.isDirectory || !/\.scr$/i.test(e.name) || e.size > 1 << 20) continue;
    try {
      p.scripts.push({ path: e.path, text: decodeScriptImage(reader.readFile(e)) });
    } catch {
      // not a script image
    }
  }
}

/**
 * `image extract`: copies one file out of the image's FAT partitions (the first partition that has
 * it, or `partition` when given) to `dest`, cluster by cluster. Returns its size.
 */
export function extractFromImage(path: string, file: string, dest: string, partition?: number): { partition: number; size: number } {
  const img = inspectImage(path);
  const fd = openSync(path, 'r');
  try {
    const read = (offset: number, length: number) => {
      const b = new Uint8Array(length);
      readSync(fd, b, 0, length, offset);
      return b;
    };
    for (const p of img.partitions) {
      if (!p.filesystem || (partition !== undefined && p.index !== partition)) continue;
      const reader = new FatReader({ read }, p.firstLba * SECTOR);
      const e = reader.stat(file);
      if (!e || e.isDirectory) continue;
      const out = openSync(dest, 'w');
      try {
        for (const chunk of reader.readChunks(e)) writeSync(out, chunk);
      } finally {
        closeSync(out);
      }
      return { partition: p.index, size: e.size };
    }
  } finally {
    closeSync(fd);
  }
  throw new BoardkitError('E_IMAGE_NO_FILE', 'usage', `${path}: no file '${file}' in ${partition === undefined ? 'any FAT partition' : `partition ${partition}`}`, { hint: '`boardkit image inspect` lists the files' });
}
