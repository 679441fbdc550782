/**
 * FAT volume geometry: which FAT type, cluster size, reserved sectors, root entries and FAT size a
 * volume of N sectors gets. Microsoft "FAT: General Overview of On-Disk Format" v1.03 (fatgen103)
 * §3.5 ("FAT Type Determination") and §3.5's FAT size computation, with dosfstools mkfs.fat choices.
 */

export type FatType = 12 | 16 | 32;

/** fatgen103 §3.1: BPB_BytsPerSec; only 512 is written (every firmware reads it). */
export const FAT_SECTOR_SIZE = 512;
/** fatgen103 §3.1: BPB_NumFATs, "always contain the value 2" for compatibility. */
export const FAT_COUNT = 2;
/** fatgen103 §3.1: BPB_RsvdSecCnt is 1 on FAT12/16; mkfs.fat uses 32 on FAT32 (room for the backup boot sector at 6). */
export const RESERVED_SECTORS: Record<FatType, number> = { 12: 1, 16: 1, 32: 32 };
/** fatgen103 §3.1: BPB_RootEntCnt, 512 on FAT16 "for maximum compatibility"; 0 on FAT32. */
export const DEFAULT_ROOT_ENTRIES = 512;
/** fatgen103 §3.5: "less than 4085 clusters" is FAT12, "less than 65525" FAT16, otherwise FAT32. */
export const FAT12_MAX_CLUSTERS = 4084;
export const FAT16_MAX_CLUSTERS = 65524;
/** dosfstools mkfs.fat: MAX_CLUST_32, the 28-bit limit minus reserved values. */
export const FAT32_MAX_CLUSTERS = 268435446;
/** fatgen103 §6: directory entries are 32 bytes. */
export const DIR_ENTRY_SIZE = 32;

export class FatGeometryError extends Error {}

export interface FatGeometry {
  type: FatType;
  totalSectors: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fatCount: number;
  /** 0 on FAT32. */
  rootEntries: number;
  rootDirSectors: number;
  sectorsPerFat: number;
  /** First sector of the data region (cluster 2). */
  firstDataSector: number;
  clusterCount: number;
}

/** fatgen103 §3.5: the type is decided by the cluster count alone. */
export function fatTypeOf(clusterCount: number): FatType {
  return clusterCount <= FAT12_MAX_CLUSTERS ? 12 : clusterCount <= FAT16_MAX_CLUSTERS ? 16 : 32;
}

/** Bytes a FAT of `entries` entries takes (FAT12 packs 1.5 bytes per entry). */
function fatBytes(type: FatType, entries: number): number {
  return type === 12 ? Math.ceil((entries * 3) / 2) : entries * (type / 8);
}

/**
 * Exact geometry for a given type and cluster size: the smallest FAT that covers every cluster
 * (iterated to a fixed point rather than fatgen103's closed-form estimate, which may over-allocate).
 */
export function computeGeometry(totalSectors: number, type: FatType, sectorsPerCluster: number, rootEntries = DEFAULT_ROOT_ENTRIES): FatGeometry {
  const reservedSectors = RESERVED_SECTORS[type];
  const roots = type === 32 ? 0 : Math.ceil(rootEntries / 16) * 16;
  const rootDirSectors = Math.ceil((roots * DIR_ENTRY_SIZE) / FAT_SECTOR_SIZE);
  let sectorsPerFat = 1;
  let clusterCount = 0;
  for (let i = 0; i < 64; i++) {
    const data = totalSectors - reservedSectors - FAT_COUNT * sectorsPerFat - rootDirSectors;
    clusterCount = Math.floor(data / sectorsPerCluster);
    if (clusterCount <= 0) throw new FatGeometryError(`${totalSectors} sectors leave no room for data on FAT${type}`);
    const need = Math.ceil(fatBytes(type, clusterCount + 2) / FAT_SECTOR_SIZE);
    if (need <= sectorsPerFat) break;
    sectorsPerFat = need;
  }
  const firstDataSector = reservedSectors + FAT_COUNT * sectorsPerFat + rootDirSectors;
  return { type, totalSectors, sectorsPerCluster, reservedSectors, fatCount: FAT_COUNT, rootEntries: roots, rootDirSectors, sectorsPerFat, firstDataSector, clusterCount };
}

export interface GeometryRequest {
  totalSectors: number;
  type?: FatType | 'auto';
  sectorsPerCluster?: number;
  rootEntries?: number;
}

/** The type a volume gets when the layout says `auto` (dosfstools: FAT32 from 512 MiB up). */
export function autoFatType(totalSectors: number): FatType {
  const bytes = totalSectors * FAT_SECTOR_SIZE;
  return bytes >= 512 * 1024 * 1024 ? 32 : bytes >= 16 * 1024 * 1024 ? 16 : 12;
}

/**
 * Chooses the geometry: the requested type with the smallest power-of-two cluster (up to 64 KiB)
 * whose cluster count lands inside that type's range. A cluster count outside the range fails:
 * the cluster count, not the label, is what every reader uses (fatgen103 §3.5).
 */
export function chooseGeometry(req: GeometryRequest): FatGeometry {
  const type = req.type === undefined || req.type === 'auto' ? autoFatType(req.totalSectors) : req.type;
  const fits = (g: FatGeometry) => fatTypeOf(g.clusterCount) === type && g.clusterCount <= FAT32_MAX_CLUSTERS;
  if (req.sectorsPerCluster !== undefined) {
    const spc = req.sectorsPerCluster;
    if (!(spc >= 1 && spc <= 128 && (spc & (spc - 1)) === 0)) throw new FatGeometryError(`sectors per cluster ${spc} is not a power of two from 1 to 128`);
    const g = computeGeometry(req.totalSectors, type, spc, req.rootEntries);
    if (!fits(g)) throw new FatGeometryError(`${req.totalSectors} sectors with ${spc} sectors per cluster give ${g.clusterCount} clusters: FAT${fatTypeOf(g.clusterCount)}, not FAT${type}`);
    return g;
  }
  let last: FatGeometry | undefined;
  for (let spc = 1; spc <= 128; spc *= 2) {
    try {
      last = computeGeometry(req.totalSectors, type, spc, req.rootEntries);
    } catch {
      break;
    }
    if (fits(last)) return last;
    if (fatTypeOf(last.clusterCount) < type) break; // clusters only shrink from here
  }
  throw new FatGeometryError(`no cluster size makes ${req.totalSectors} sectors (${((req.totalSectors * FAT_SECTOR_SIZE) / 1048576).toFixed(1)} MiB) a FAT${type} volume${last ? ` (last try: ${last.clusterCount} clusters)` : ''}`);
}
