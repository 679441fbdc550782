/**
 * A FAT12/16/32 reader over random-access bytes: the directory tree, long names (checksums
 * verified, fatgen103 §7), and file contents by following cluster chains (§4). Pure: the caller
 * supplies `read(offset, length)` (a file descriptor, a buffer).
 */
import { decodeBootSector, FatFormatError, type DecodedBootSector } from './boot-sector.js';
import { decodeDosDateTime } from './directory.js';
import { FAT_SECTOR_SIZE } from './geometry.js';
import { Attr, decodeLongNamePart, LFN_LAST, shortNameChecksum } from './names.js';

export interface ByteSource {
  read(offset: number, length: number): Uint8Array;
}

export interface FatEntry {
  name: string;
  shortName: string;
  path: string;
  isDirectory: boolean;
  size: number;
  cluster: number;
  modified: Date;
}

function shortDisplay(raw: Uint8Array): string {
  const b = Uint8Array.from(raw.subarray(0, 11));
  if (b[0] === 0x05) b[0] = 0xe5;
  const s = new TextDecoder('latin1').decode(b);
  const base = s.slice(0, 8).trimEnd();
  const ext = s.slice(8).trimEnd();
  return ext ? `${base}.${ext}` : base;
}

export class FatReader {
  readonly boot: DecodedBootSector;
  private fatCache: Uint8Array | undefined;

  /** `base` is the volume's byte offset inside `src` (a partition's start). */
  constructor(private readonly src: ByteSource, private readonly base = 0) {
    this.boot = decodeBootSector(src.read(base, FAT_SECTOR_SIZE));
  }

  private get clusterBytes(): number {
    return this.boot.geometry.sectorsPerCluster * FAT_SECTOR_SIZE;
  }

  private fat(): Uint8Array {
    const g = this.boot.geometry;
    this.fatCache ??= this.src.read(this.base + g.reservedSectors * FAT_SECTOR_SIZE, g.sectorsPerFat * FAT_SECTOR_SIZE);
    return this.fatCache;
  }

  /** FAT entry `n` (fatgen103 §4: FAT12 packs two entries in three bytes; FAT32 uses 28 bits). */
  next(n: number): number {
    const fat = this.fat();
    const v = new DataView(fat.buffer, fat.byteOffset, fat.byteLength);
    const t = this.boot.geometry.type;
    if (t === 32) return v.getUint32(n * 4, true) & 0x0fffffff;
    if (t === 16) return v.getUint16(n * 2, true);
    const w = v.getUint16(Math.floor((n * 3) / 2), true);
    return n % 2 === 0 ? w & 0xfff : w >> 4;
  }

  /** The cluster chain starting at `first` (empty for cluster 0). */
  chain(first: number): number[] {
    const t = this.boot.geometry.type;
    const eoc = t === 32 ? 0x0ffffff8 : t === 16 ? 0xfff8 : 0xff8;
    const out: number[] = [];
    for (let c = first; c >= 2 && c < eoc; c = this.next(c)) {
      if (out.length > this.boot.geometry.clusterCount) throw new FatFormatError(`cluster chain from ${first} loops`);
      out.push(c);
    }
    return out;
  }

  /** Byte offset of cluster `c` inside the source. */
  clusterOffset(c: number): number {
    const g = this.boot.geometry;
    return this.base + (g.firstDataSector + (c - 2) * g.sectorsPerCluster) * FAT_SECTOR_SIZE;
  }

  private dirBytes(cluster: number): Uint8Array {
    const g = this.boot.geometry;
    if (cluster === 0 && g.type !== 32) return this.src.read(this.base + (g.reservedSectors + g.fatCount * g.sectorsPerFat) * FAT_SECTOR_SIZE, g.rootDirSectors * FAT_SECTOR_SIZE);
    const c = this.chain(cluster === 0 ? this.boot.rootCluster : cluster);
    const out = new Uint8Array(c.length * this.clusterBytes);
    c.forEach((n, i) => out.set(this.src.read(this.clusterOffset(n), this.clusterBytes), i * this.clusterBytes));
    return out;
  }

  /** Entries of the directory at `cluster` (0 = root), without `.`, `..` and the volume label. */
  listCluster(cluster: number, parentPath = ''): FatEntry[] {
    const bytes = this.dirBytes(cluster);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: FatEntry[] = [];
    let lfn: string[] = [];
    let lfnSum = -1;
    for (let at = 0; at + 32 <= bytes.length; at += 32) {
      const first = bytes[at]!;
      if (first === 0x00) break; // §6.1: no entries follow
      if (first === 0xe5) {
        lfn = [];
        continue;
      }
      const attr = bytes[at + 11]!;
      if ((attr & 0x3f) === Attr.longName) {
        if (first & LFN_LAST) lfn = [];
        lfn[(first & 0x1f) - 1] = decodeLongNamePart(bytes.subarray(at, at + 32));
        lfnSum = bytes[at + 13]!;
        continue;
      }
      const raw = bytes.subarray(at, at + 11);
      const long = lfn.length && shortNameChecksum(raw) === lfnSum ? lfn.join('') : undefined;
      lfn = [];
      if (attr & Attr.volumeId) continue;
      const short = shortDisplay(raw);
      if (short === '.' || short === '..') continue;
      const name = long ?? short;
      const c = (v.getUint16(at + 20, true) << 16) | v.getUint16(at + 26, true);
      out.push({
        name,
        shortName: short,
        path: `${parentPath}/${name}`,
        isDirectory: (attr & Attr.directory) !== 0,
        size: v.getUint32(at + 28, true),
        cluster: c >>> 0,
        modified: decodeDosDateTime(v.getUint16(at + 24, true), v.getUint16(at + 22, true)),
      });
    }
    return out;
  }

  /** Finds a path (`/EFI/BOOT/BOOTX64.EFI`), case-insensitively as FAT does; undefined when absent. */
  stat(path: string): FatEntry | undefined {
    const parts = path.split('/').filter(Boolean);
    let entries = this.listCluster(0);
    let found: FatEntry | undefined;
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i]!.toUpperCase();
      found = entries.find((e) => e.name.toUpperCase() === want || e.shortName === want);
      if (!found) return undefined;
      if (i < parts.length - 1) {
        if (!found.isDirectory) return undefined;
        entries = this.listCluster(found.cluster, found.path);
      }
    }
    return found;
  }

  /** Every entry, depth-first. */
  walk(cluster = 0, parentPath = ''): FatEntry[] {
    const out: FatEntry[] = [];
    for (const e of this.listCluster(cluster, parentPath)) {
      out.push(e);
      if (e.isDirectory) out.push(...this.walk(e.cluster, e.path));
    }
    return out;
  }

  /** File contents in cluster-sized pieces (bounded memory for large files). */
  *readChunks(entry: FatEntry): Generator<Uint8Array> {
    let left = entry.size;
    for (const c of this.chain(entry.cluster)) {
      if (left <= 0) break;
      const n = Math.min(left, this.clusterBytes);
      yield this.src.read(this.clusterOffset(c), n);
      left -= n;
    }
    if (left > 0) throw new FatFormatError(`${entry.path}: cluster chain ends ${left} bytes short of its size`);
  }

  readFile(entry: FatEntry): Uint8Array {
    const out = new Uint8Array(entry.size);
    let at = 0;
    for (const chunk of this.readChunks(entry)) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
