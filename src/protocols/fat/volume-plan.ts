/**
 * Plans a populated FAT12/16/32 volume: geometry, names, cluster allocation, and every metadata
 * byte run (boot sectors, FSInfo, both FATs, directories), leaving file contents to the caller as
 * extents (offset, size) to stream into. Pure; offsets are relative to the volume's first byte and
 * everything not listed is zero (the writer starts from a zero-filled, sparse region).
 *
 * Allocation is contiguous and in depth-first order, so every file is one extent and the result
 * depends only on the tree (entries are sorted by name), the size, the label and the timestamp.
 */
import { encodeBootSector, encodeFsInfo, BACKUP_BOOT_SECTOR, FSINFO_SECTOR, MEDIA_FIXED } from './boot-sector.js';
import { dosDateTime, encodeNamedEntry, encodeShortEntry, entriesFor, type DosDateTime } from './directory.js';
import { chooseGeometry, DEFAULT_ROOT_ENTRIES, DIR_ENTRY_SIZE, FAT_SECTOR_SIZE, type FatGeometry, type FatType } from './geometry.js';
import { Attr, checkLongName, makeShortName, type ShortName } from './names.js';
import { padLabel } from './boot-sector.js';

export type FatNodeInput<T> = { kind: 'file'; name: string; size: number; ref: T } | { kind: 'dir'; name: string; children: Array<FatNodeInput<T>> };

export interface FatVolumeRequest<T> {
  totalSectors: number;
  type?: FatType | 'auto';
  sectorsPerCluster?: number;
  label?: string;
  volumeId: number;
  /** BPB_HiddSec: the partition's first LBA (0 for a bare volume). */
  hiddenSectors?: number;
  /** SOURCE_DATE_EPOCH: every entry's creation and write time. */
  timestamp: number;
  root: Array<FatNodeInput<T>>;
}

export interface FatFileExtent<T> {
  ref: T;
  path: string;
  offset: number;
  size: number;
  cluster: number;
}

export interface FatVolumePlan<T> {
  geometry: FatGeometry;
  volumeId: number;
  label: string | undefined;
  clusterBytes: number;
  usedClusters: number;
  freeClusters: number;
  /** Byte runs to write, relative to the volume start, in ascending offset order. */
  metadata: Array<{ offset: number; bytes: Uint8Array; what: string }>;
  files: Array<FatFileExtent<T>>;
  directories: string[];
}

/** The volume cannot hold the tree; `needBytes`/`haveBytes` let the caller say by how much. */
export class FatFullError extends Error {
  constructor(readonly needClusters: number, readonly haveClusters: number, readonly clusterBytes: number) {
    super(`the files need ${needClusters} clusters of ${clusterBytes} bytes; the volume has ${haveClusters}`);
  }
}

export class FatTreeError extends Error {}

/** FAT[0] and FAT[1] (fatgen103 §4: media byte with high bits set; EOC) and the end-of-chain mark. */
const EOC: Record<FatType, number> = { 12: 0xfff, 16: 0xffff, 32: 0x0fffffff };
const FAT0: Record<FatType, number> = { 12: 0xf00 | MEDIA_FIXED, 16: 0xff00 | MEDIA_FIXED, 32: 0x0fffff00 | MEDIA_FIXED };

interface Named<T> {
  node: FatNodeInput<T>;
  short: ShortName;
  path: string;
  cluster: number;
  clusters: number;
  sub?: Dir<T>;
}
interface Dir<T> {
  path: string;
  entries: Array<Named<T>>;
  entryCount: number;
  cluster: number;
}

function buildDir<T>(path: string, children: Array<FatNodeInput<T>>, isRoot: boolean, hasLabel: boolean): Dir<T> {
  const sorted = [...children].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const taken = new Set<ShortName>();
  const seen = new Set<string>();
  const entries: Array<Named<T>> = [];
  let count = isRoot ? (hasLabel ? 1 : 0) : 2; // '.' and '..' (fatgen103 §6.5)
  for (const node of sorted) {
    checkLongName(node.name);
    const folded = node.name.toUpperCase();
    if (seen.has(folded)) throw new FatTreeError(`'${path}/${node.name}' differs from another name only in case; FAT names are case-insensitive`);
    seen.add(folded);
    const short = makeShortName(node.name, taken);
    taken.add(short);
    count += entriesFor(node.name, short);
    const p = `${path}/${node.name}`;
    entries.push({ node, short, path: p, cluster: 0, clusters: 0, ...(node.kind === 'dir' ? { sub: buildDir(p, node.children, false, false) } : {}) });
  }
  return { path: path || '/', entries, entryCount: count, cluster: 0 };
}

function setFat(fat: Uint8Array, type: FatType, n: number, value: number): void {
  const v = new DataView(fat.buffer, fat.byteOffset, fat.byteLength);
  if (type === 32) v.setUint32(n * 4, value & 0x0fffffff, true);
  else if (type === 16) v.setUint16(n * 2, value, true);
  else {
    const at = Math.floor((n * 3) / 2);
    if (n % 2 === 0) {
      fat[at] = value & 0xff;
      fat[at + 1] = (fat[at + 1]! & 0xf0) | ((value >> 8) & 0x0f);
    } else {
      fat[at] = (fat[at]! & 0x0f) | ((value & 0x0f) << 4);
      fat[at + 1] = (value >> 4) & 0xff;
    }
  }
}

export function planFatVolume<T>(req: FatVolumeRequest<T>): FatVolumePlan<T> {
  const root = buildDir<T>('', req.root, true, req.label !== undefined);
  const rootEntries = Math.max(DEFAULT_ROOT_ENTRIES, Math.ceil(root.entryCount / 16) * 16);
  const g = chooseGeometry({ totalSectors: req.totalSectors, ...(req.type !== undefined ? { type: req.type } : {}), ...(req.sectorsPerCluster !== undefined ? { sectorsPerCluster: req.sectorsPerCluster } : {}), rootEntries });
  const clusterBytes = g.sectorsPerCluster * FAT_SECTOR_SIZE;
  const stamp: DosDateTime = dosDateTime(req.timestamp);

  // Allocation, depth-first: a directory's clusters, then its files, then its subdirectories.
  let next = 2;
  const take = (bytes: number, min: number) => {
    const n = Math.max(min, Math.ceil(bytes / clusterBytes));
    const first = n ? next : 0;
    next += n;
    return { first, n };
  };
  const dirs: Array<Dir<T>> = [];
  const files: Array<FatFileExtent<T>> = [];
  const chains: Array<{ first: number; n: number }> = [];
  const visit = (d: Dir<T>, isRoot: boolean) => {
    dirs.push(d);
    if (!isRoot || g.type === 32) {
      const c = take(d.entryCount * DIR_ENTRY_SIZE, 1);
      d.cluster = c.first;
      chains.push(c);
    }
    for (const e of d.entries) {
      if (e.node.kind !== 'file') continue;
      const c = take(e.node.size, 0);
      e.cluster = c.first;
      e.clusters = c.n;
      if (c.n) chains.push(c);
      files.push({ ref: e.node.ref, path: e.path, offset: 0, size: e.node.size, cluster: c.first });
    }
    for (const e of d.entries) if (e.sub) visit(e.sub, false);
    for (const e of d.entries) if (e.sub) e.cluster = e.sub.cluster;
  };
  visit(root, true);
  const used = next - 2;
  if (used > g.clusterCount) throw new FatFullError(used, g.clusterCount, clusterBytes);
  const clusterOffset = (c: number) => (g.firstDataSector + (c - 2) * g.sectorsPerCluster) * FAT_SECTOR_SIZE;
  for (const f of files) f.offset = f.cluster ? clusterOffset(f.cluster) : 0;

  // Only the used prefix of each FAT is written; the rest is zero (free) already.
  const fatLen = g.type === 12 ? Math.ceil(((next + 1) * 3) / 2) : (next + 1) * (g.type / 8);
  const fat = new Uint8Array(Math.min(fatLen, g.sectorsPerFat * FAT_SECTOR_SIZE));
  setFat(fat, g.type, 0, FAT0[g.type]);
  setFat(fat, g.type, 1, EOC[g.type]);
  for (const c of chains) for (let i = 0; i < c.n; i++) setFat(fat, g.type, c.first + i, i === c.n - 1 ? EOC[g.type] : c.first + i + 1);

  const metadata: FatVolumePlan<T>['metadata'] = [];
  const boot = encodeBootSector({ geometry: g, volumeId: req.volumeId, ...(req.label !== undefined ? { label: req.label } : {}), hiddenSectors: req.hiddenSectors ?? 0 });
  metadata.push({ offset: 0, bytes: boot, what: 'boot sector' });
  const free = g.clusterCount - used;
  if (g.type === 32) {
    const info = encodeFsInfo(free, free > 0 ? next : 0xffffffff);
    metadata.push({ offset: FSINFO_SECTOR * FAT_SECTOR_SIZE, bytes: info, what: 'FSInfo' });
    metadata.push({ offset: BACKUP_BOOT_SECTOR * FAT_SECTOR_SIZE, bytes: boot, what: 'backup boot sector' });
    metadata.push({ offset: (BACKUP_BOOT_SECTOR + 1) * FAT_SECTOR_SIZE, bytes: info, what: 'backup FSInfo' });
  }
  for (let i = 0; i < g.fatCount; i++) metadata.push({ offset: (g.reservedSectors + i * g.sectorsPerFat) * FAT_SECTOR_SIZE, bytes: fat, what: `FAT ${i + 1}` });

  for (const d of dirs) {
    const isRoot = d === root;
    const parts: Uint8Array[] = [];
    if (isRoot && req.label !== undefined) parts.push(encodeShortEntry({ name: String.fromCharCode(...padLabel(req.label)), attr: Attr.volumeId | Attr.archive, cluster: 0, size: 0, stamp }));
    if (!isRoot) {
      const parent = dirs.find((p) => p.entries.some((e) => e.sub === d))!;
      parts.push(encodeShortEntry({ name: '.', attr: Attr.directory, cluster: d.cluster, size: 0, stamp }));
      parts.push(encodeShortEntry({ name: '..', attr: Attr.directory, cluster: parent === root ? 0 : parent.cluster, size: 0, stamp }));
    }
    for (const e of d.entries) {
      const isDir = e.node.kind === 'dir';
      parts.push(encodeNamedEntry(e.node.name, { name: e.short, attr: isDir ? Attr.directory : Attr.archive, cluster: e.cluster, size: isDir ? 0 : (e.node as { size: number }).size, stamp }));
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
    const offset = isRoot && g.type !== 32 ? (g.reservedSectors + g.fatCount * g.sectorsPerFat) * FAT_SECTOR_SIZE : clusterOffset(d.cluster);
    metadata.push({ offset, bytes, what: `directory ${d.path}` });
  }
  metadata.sort((a, b) => a.offset - b.offset);
  return { geometry: g, volumeId: req.volumeId, label: req.label, clusterBytes, usedClusters: used, freeClusters: free, metadata, files, directories: dirs.map((d) => d.path) };
}
