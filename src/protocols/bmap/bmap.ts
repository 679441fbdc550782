/**
 * bmap 2.0 codec (bmap-tools docs/README "The bmap file format"; BmapCreate.py writes it, BmapCopy.py
 * reads it). Pure: the hash function is injected so this room needs no crypto.
 *
 * - `ImageSize` bytes, `BlockSize` (4096), `BlocksCount` = ceil(ImageSize / BlockSize): the last
 *   block may be partial and its checksum covers only the bytes inside the image.
 * - `MappedBlocksCount`: blocks inside the ranges.
 * - `ChecksumType` sha256; `BmapFileChecksum`: the hash of the whole bmap file computed while this
 *   field holds as many ASCII "0" as the digest has hex digits.
 * - `<Range chksum="…"> a-b </Range>` with inclusive block numbers, or `<Range> a </Range>`.
 * Version 1.4 is identical to 2.0; 1.3 used `sha1`/`BmapFileSHA1` (read, never written).
 */

export const BMAP_VERSION = '2.0';
/** bmap-tools default block size (BmapCreate.py: the page size, 4096). */
export const BMAP_DEFAULT_BLOCK_SIZE = 4096;

export interface BmapRange {
  first: number;
  /** Inclusive. */
  last: number;
  /** Hex digest of the range's bytes (only those inside the image for the last block). */
  checksum?: string;
}

export interface Bmap {
  version: string;
  imageSize: number;
  blockSize: number;
  blocksCount: number;
  mappedBlocksCount: number;
  checksumType: string;
  /** As found in the file (empty when writing: it is computed). */
  fileChecksum: string;
  ranges: BmapRange[];
}

/** Hex digest of bytes; the caller passes sha256 (node:crypto in the writer, the same in tests). */
export type HexDigest = (bytes: Uint8Array) => string;

export class BmapError extends Error {}

export function blocksCount(imageSize: number, blockSize: number): number {
  return Math.ceil(imageSize / blockSize);
}

function body(b: Omit<Bmap, 'fileChecksum' | 'version'>, fileChecksum: string): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  const lines = [
    '<?xml version="1.0" ?>',
    '<!-- The block map of an image file, written by boardkit in the bmap 2.0 format of bmap-tools. -->',
    `<bmap version="${BMAP_VERSION}">`,
    `    <!-- Image size in bytes: ${mib(b.imageSize)} -->`,
    `    <ImageSize> ${b.imageSize} </ImageSize>`,
    '',
    '    <!-- Size of a block in bytes -->',
    `    <BlockSize> ${b.blockSize} </BlockSize>`,
    '',
    '    <!-- Count of blocks in the image file -->',
    `    <BlocksCount> ${b.blocksCount} </BlocksCount>`,
    '',
    `    <!-- Count of mapped blocks: ${mib(b.mappedBlocksCount * b.blockSize)} -->`,
    `    <MappedBlocksCount> ${b.mappedBlocksCount} </MappedBlocksCount>`,
    '',
    '    <!-- Type of checksum used in this file -->',
    `    <ChecksumType> ${b.checksumType} </ChecksumType>`,
    '',
    '    <!-- The checksum of this bmap file, computed with this field set to ASCII "0"s -->',
    `    <BmapFileChecksum> ${fileChecksum} </BmapFileChecksum>`,
    '',
    '    <BlockMap>',
    ...b.ranges.map((r) => {
      const cs = r.checksum ? ` chksum="${r.checksum}"` : '';
      return `        <Range${cs}> ${r.first === r.last ? r.first : `${r.first}-${r.last}`} </Range>`;
    }),
    '    </BlockMap>',
    '</bmap>',
    '',
  ];
  return lines.join('\n');
}

/** The bmap XML; `digest` computes the file checksum (its length decides the zero placeholder). */
export function encodeBmap(b: { imageSize: number; blockSize?: number; ranges: BmapRange[]; checksumType?: string }, digest: HexDigest): string {
  const blockSize = b.blockSize ?? BMAP_DEFAULT_BLOCK_SIZE;
  const count = blocksCount(b.imageSize, blockSize);
  let mapped = 0;
  let prev = -1;
  for (const r of b.ranges) {
    if (r.first <= prev || r.last < r.first || r.last >= count) throw new BmapError(`range ${r.first}-${r.last} is out of order or outside ${count} blocks`);
    mapped += r.last - r.first + 1;
    prev = r.last;
  }
  const fields = { imageSize: b.imageSize, blockSize, blocksCount: count, mappedBlocksCount: mapped, checksumType: b.checksumType ?? 'sha256', ranges: b.ranges };
  const zeros = '0'.repeat(digest(new Uint8Array()).length);
  const withZeros = body(fields, zeros);
  return body(fields, digest(new TextEncoder().encode(withZeros)));
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml);
  return m?.[1];
}

function int(xml: string, name: string): number {
  const s = tag(xml, name);
  if (s === undefined || !/^\d+$/.test(s)) throw new BmapError(`<${name}> is missing or not a number`);
  return Number(s);
}

/**
 * Parses a bmap (1.3 … 2.0) and checks it: block counts, range order, and — when `digest` is given —
 * the file checksum (bmaptool's own check before it copies anything).
 */
export function decodeBmap(xml: string, digest?: HexDigest): Bmap {
  const version = /<bmap\s+version="([^"]+)"/.exec(xml)?.[1];
  if (!version) throw new BmapError('not a bmap: no <bmap version="…">');
  const major = Number(version.split('.')[0]);
  if (major > 2) throw new BmapError(`bmap version ${version} is newer than 2.x`);
  const imageSize = int(xml, 'ImageSize');
  const blockSize = int(xml, 'BlockSize');
  const count = int(xml, 'BlocksCount');
  if (count !== blocksCount(imageSize, blockSize)) throw new BmapError(`BlocksCount ${count} is not ceil(${imageSize} / ${blockSize})`);
  const legacy = tag(xml, 'BmapFileSHA1');
  const checksumType = legacy !== undefined ? 'sha1' : (tag(xml, 'ChecksumType') ?? 'sha256');
  const fileChecksum = legacy ?? tag(xml, 'BmapFileChecksum') ?? '';
  const ranges: BmapRange[] = [];
  const re = /<Range(?:\s+(?:chksum|sha1)="([0-9a-fA-F]+)")?\s*>\s*(\d+)(?:\s*-\s*(\d+))?\s*<\/Range>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const first = Number(m[2]);
    const last = m[3] === undefined ? first : Number(m[3]);
    if (last < first || last >= count) throw new BmapError(`range ${first}-${last} is outside ${count} blocks`);
    if (ranges.length && first <= ranges[ranges.length - 1]!.last) throw new BmapError(`range ${first}-${last} overlaps or is out of order`);
    ranges.push({ first, last, ...(m[1] ? { checksum: m[1].toLowerCase() } : {}) });
  }
  const mapped = int(xml, 'MappedBlocksCount');
  const sum = ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
  if (sum !== mapped) throw new BmapError(`MappedBlocksCount ${mapped} but the ranges hold ${sum} blocks`);
  if (digest && fileChecksum && checksumType === 'sha256') {
    const zeroed = xml.replace(fileChecksum, '0'.repeat(fileChecksum.length));
    if (digest(new TextEncoder().encode(zeroed)) !== fileChecksum.toLowerCase()) throw new BmapError('BmapFileChecksum does not match the file');
  }
  return { version, imageSize, blockSize, blocksCount: count, mappedBlocksCount: mapped, checksumType, fileChecksum, ranges };
}

/** Bytes of range `r` inside the image (the last block may be partial). */
export function rangeByteSpan(b: Pick<Bmap, 'imageSize' | 'blockSize'>, r: BmapRange): { offset: number; length: number } {
  const offset = r.first * b.blockSize;
  return { offset, length: Math.min((r.last + 1) * b.blockSize, b.imageSize) - offset };
}
