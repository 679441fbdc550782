import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BmapError, decodeBmap, encodeBmap, rangeByteSpan } from '../../src/protocols/bmap/index.js';
import { SparseImageWriter, sha256Hex } from '../../src/image/sparse-writer.js';

const work = mkdtempSync(join(tmpdir(), 'bk-bmap-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A sparse file with data at a few places and a partial last block. */
function sparseFile(path: string): number {
  const size = 3 * 1048576 + 1234; // not a multiple of 4096: the last block is partial
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  writeSync(fd, Buffer.alloc(5000, 7), 0, 5000, 0);
  writeSync(fd, Buffer.alloc(10000, 9), 0, 10000, 1048576 + 100);
  writeSync(fd, Buffer.alloc(1000, 3), 0, 1000, size - 1000);
  closeSync(fd);
  return size;
}

describe('bmap 2.0 codec', () => {
  it('our reader reads a bmap made by bmaptool create, and its range checksums match the bytes', () => {
    const img = join(work, 'a.img');
    const size = sparseFile(img);
    execFileSync('bmaptool', ['create', '-o', `${img}.bmap`, img], { stdio: 'ignore' });
    const b = decodeBmap(readFileSync(`${img}.bmap`, 'utf8'), sha);
    expect(b.imageSize).toBe(size);
    expect(b.blockSize).toBe(4096);
    expect(b.ranges.length).toBeGreaterThanOrEqual(3);
    const bytes = readFileSync(img);
    for (const r of b.ranges) {
      const { offset, length } = rangeByteSpan(b, r);
      expect(r.checksum).toBe(sha(bytes.subarray(offset, offset + length)));
    }
    expect(b.ranges[b.ranges.length - 1]!.last).toBe(b.blocksCount - 1);
  });

  it('bmaptool copy accepts a bmap written by the sparse writer and reproduces the image byte for byte', async () => {
    const img = join(work, 'b.img');
    const size = 2 * 1048576 + 777;
    const w = await SparseImageWriter.create(img, size);
    await w.writeBytes(0, new Uint8Array(600).fill(1));
    await w.writeBytes(65536, new Uint8Array(8192 * 3).fill(0)); // zeros stay a hole
    await w.writeBytes(1048576 - 10, new Uint8Array(50).fill(2)); // straddles a block boundary
    await w.writeBytes(size - 700, new Uint8Array(700).fill(5)); // the partial last block
    const xml = await w.bmap();
    await w.close();
    writeFileSync(`${img}.bmap`, xml);
    const parsed = decodeBmap(xml, sha256Hex);
    expect(parsed.ranges.map((r) => [r.first, r.last])).toEqual([[0, 0], [255, 256], [512, 512]]);
    const copy = join(work, 'b-copy.img');
    execFileSync('bmaptool', ['copy', '--bmap', `${img}.bmap`, img, copy], { stdio: 'pipe' });
    expect(sha(readFileSync(copy))).toBe(sha(readFileSync(img)));
  });

  it('rejects a tampered bmap: file checksum, counts, overlapping ranges', () => {
    const xml = encodeBmap({ imageSize: 10000, ranges: [{ first: 0, last: 1, checksum: 'ab'.repeat(32) }] }, sha256Hex);
    expect(decodeBmap(xml, sha256Hex).mappedBlocksCount).toBe(2);
    expect(() => decodeBmap(xml.replace('<ImageSize> 10000', '<ImageSize> 10001'), sha256Hex)).toThrow(BmapError);
    expect(() => decodeBmap(xml.replace('<BlocksCount> 3', '<BlocksCount> 4'))).toThrow(/BlocksCount/);
    expect(() => decodeBmap(xml.replace('</BlockMap>', '<Range> 1 </Range></BlockMap>'))).toThrow(/overlaps|MappedBlocksCount/);
  });
});
