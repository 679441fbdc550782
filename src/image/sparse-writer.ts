/**
 * Writes an image straight into its final file: the file is created empty and sized with
 * ftruncate (a hole everywhere), metadata runs are written where they are not all zero, and file
 * contents are streamed in bounded chunks to their offsets. The writer records which 4 KiB blocks
 * hold data, so the bmap needs no FIEMAP and no scan of the holes.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { BMAP_DEFAULT_BLOCK_SIZE, encodeBmap, type BmapRange } from '../protocols/bmap/bmap.js';

/** Chunk size for streamed contents and read-back hashing: bounded memory whatever the image size. */
export const STREAM_CHUNK = 1 << 20;

export type ImagePiece =
  | { kind: 'bytes'; offset: number; bytes: Uint8Array; what: string }
  | { kind: 'file'; offset: number; size: number; path: string; what: string };

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export class SparseImageWriter {
  private readonly blocks = new Set<number>();

  private constructor(private readonly fh: FileHandle, readonly size: number, readonly blockSize: number) {}

  /** Creates (or truncates) `path` and sizes it to `size` bytes of holes. */
  static async create(path: string, size: number, blockSize = BMAP_DEFAULT_BLOCK_SIZE): Promise<SparseImageWriter> {
    const fh = await open(path, 'w+', 0o644);
    await fh.truncate(size);
    return new SparseImageWriter(fh, size, blockSize);
  }

  private mark(offset: number, length: number): void {
    for (let b = Math.floor(offset / this.blockSize); b * this.blockSize < offset + length; b++) this.blocks.add(b);
  }

  /** Writes `bytes` at `offset`, skipping block-aligned all-zero stretches (they stay holes); non-zero blocks go out in one write per run. */
  async writeBytes(offset: number, bytes: Uint8Array): Promise<void> {
    if (offset < 0 || offset + bytes.length > this.size) throw new RangeError(`write of ${bytes.length} bytes at ${offset} passes the image end ${this.size}`);
    let runStart = -1;
    const flush = async (end: number) => {
      if (runStart < 0) return;
      await this.fh.write(bytes, runStart, end - runStart, offset + runStart);
      this.mark(offset + runStart, end - runStart);
      runStart = -1;
    };
    let at = 0;
    while (at < bytes.length) {
      const blockEnd = (Math.floor((offset + at) / this.blockSize) + 1) * this.blockSize - offset;
      const end = Math.min(bytes.length, blockEnd);
      if (isZero(bytes.subarray(at, end))) await flush(at);
      else if (runStart < 0) runStart = at;
      at = end;
    }
    await flush(bytes.length);
  }

  /** Streams `size` bytes of `path` to `offset` in STREAM_CHUNK pieces; fails if the file is shorter. */
  async writeFile(offset: number, path: string, size: number, onChunk?: (chunk: Uint8Array) => void): Promise<void> {
    const src = await open(path, 'r');
    try {
      const buf = new Uint8Array(Math.min(STREAM_CHUNK, Math.max(size, 1)));
      let done = 0;
      while (done < size) {
        const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, size - done), done);
        if (bytesRead === 0) throw new Error(`${path} is shorter than the planned ${size} bytes (it changed during the build?)`);
        onChunk?.(buf.subarray(0, bytesRead));
        await this.writeBytes(offset + done, buf.subarray(0, bytesRead));
        done += bytesRead;
      }
    } finally {
      await src.close();
    }
  }

  async write(p: ImagePiece): Promise<void> {
    if (p.kind === 'bytes') await this.writeBytes(p.offset, p.bytes);
    else await this.writeFile(p.offset, p.path, p.size);
  }

  /** Mapped blocks as inclusive ranges. */
  ranges(): Array<{ first: number; last: number }> {
    const sorted = [...this.blocks].sort((a, b) => a - b);
    const out: Array<{ first: number; last: number }> = [];
    for (const b of sorted) {
      const r = out[out.length - 1];
      if (r && r.last + 1 === b) r.last = b;
      else out.push({ first: b, last: b });
    }
    return out;
  }

  /** The bmap 2.0 text: each range's sha256 read back from the written file (the bytes a flasher will copy). */
  async bmap(): Promise<string> {
    const ranges: BmapRange[] = [];
    const buf = new Uint8Array(STREAM_CHUNK);
    for (const r of this.ranges()) {
      const h = createHash('sha256');
      const start = r.first * this.blockSize;
      const end = Math.min((r.last + 1) * this.blockSize, this.size);
      for (let at = start; at < end; ) {
        const { bytesRead } = await this.fh.read(buf, 0, Math.min(buf.length, end - at), at);
        h.update(buf.subarray(0, bytesRead));
        at += bytesRead;
      }
      ranges.push({ ...r, checksum: h.digest('hex') });
    }
    return encodeBmap({ imageSize: this.size, blockSize: this.blockSize, ranges }, sha256Hex);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
