import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeGeometry, FatFullError, FatReader, type FatType } from '../../src/protocols/fat/index.js';
import { fsck, mcopyOut, randomTree, rng, snapshot, writeVolume } from '../image/fat-fixtures.js';
import { openSync, readSync, closeSync } from 'node:fs';

const work = mkdtempSync(join(tmpdir(), 'bk-fat-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The smallest volume (in sectors) whose geometry has exactly `clusters` clusters. */
function sectorsFor(type: FatType, spc: number, clusters: number): number {
  let lo = 1;
  let hi = 2 ** 31;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    let c = 0;
    try {
      c = computeGeometry(mid, type, spc).clusterCount;
    } catch {
      c = 0;
    }
    if (c >= clusters) hi = mid;
    else lo = mid + 1;
  }
  expect(computeGeometry(lo, type, spc).clusterCount).toBe(clusters);
  return lo;
}

function readerFor(img: string) {
  const fd = openSync(img, 'r');
  const reader = new FatReader({ read: (o, n) => { const b = new Uint8Array(n); readSync(fd, b, 0, n, o); return b; } });
  return { reader, close: () => closeSync(fd) };
}

const cases: Array<{ name: string; type: FatType; spc: number; clusters: number; seed: number }> = [
  { name: 'FAT12 at 4084 clusters (the largest FAT12)', type: 12, spc: 1, clusters: 4084, seed: 1 },
  { name: 'FAT16 at 4085 clusters (the smallest FAT16)', type: 16, spc: 1, clusters: 4085, seed: 2 },
  { name: 'FAT16 at 65524 clusters (the largest FAT16)', type: 16, spc: 1, clusters: 65524, seed: 3 },
  { name: 'FAT32 at 65525 clusters (the smallest FAT32)', type: 32, spc: 1, clusters: 65525, seed: 4 },
  { name: 'FAT12 with 4 KiB clusters', type: 12, spc: 8, clusters: 1000, seed: 5 },
  { name: 'FAT16 with 2 KiB clusters', type: 16, spc: 4, clusters: 20000, seed: 6 },
  { name: 'FAT32 with 4 KiB clusters', type: 32, spc: 8, clusters: 70000, seed: 7 },
];

describe('FAT volumes against fsck.fat and mtools (independent oracles)', () => {
  for (const c of cases) {
    it(`${c.name}: fsck.fat -n is clean, mcopy extracts the identical tree, mdir sees the label`, async () => {
      const dir = join(work, `src-${c.seed}`);
      const img = join(work, `v-${c.seed}.img`);
      const tree = randomTree(dir, { seed: c.seed, files: 120, maxSize: 3000, maxDepth: 9, collisions: 14, wideDir: c.spc === 1 ? 40 : 150 });
      const total = sectorsFor(c.type, c.spc, c.clusters);
      const plan = await writeVolume(img, total, tree, { type: c.type, spc: c.spc, label: 'BOARDKIT' });
      expect(plan.geometry.type).toBe(c.type);
      expect(plan.geometry.clusterCount).toBe(c.clusters);

      const f = fsck(img);
      expect(f.out).not.toMatch(/wrong|invalid|differ|lost|bad|free cluster summary/i);
      expect(f.code, f.out).toBe(0);
      const info = execFileSync('minfo', ['-i', img, '::'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
      expect(info).toMatch(new RegExp(`cluster size: ${c.spc} sectors`));
      const label = execFileSync('mlabel', ['-i', img, '-s', '::'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
      expect(label).toContain('BOARDKIT');

      const out = join(work, `out-${c.seed}`);
      mcopyOut(img, out);
      const want = snapshot(dir);
      const got = snapshot(out);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, v] of want) expect(v === null ? got.get(k) === null : got.get(k)?.equals(v), k).toBe(true);

      // The 14 colliding names share a basis name: their ~N short names are distinct (mdir lists them).
      const mdir = execFileSync('mdir', ['-i', img, '::/collide'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
      expect(mdir).toContain('VERYLO~1 TEX');
      expect(mdir).toContain('VERYL~14 TEX');

      // Our reader agrees with the tree too (after the oracles).
      const { reader, close } = readerFor(img);
      try {
        const entries = reader.walk();
        expect(entries.map((e) => e.path).sort()).toEqual([...want.keys()].sort());
        for (const e of entries) if (!e.isDirectory) expect(Buffer.from(reader.readFile(e)).equals(want.get(e.path) as Buffer)).toBe(true);
      } finally {
        close();
      }
    }, 60_000);
  }

  // Property: random trees, random FAT type and cluster size, random volume size inside the type's range.
  for (const seed of [101, 102, 103, 104, 105, 106]) {
    it(`random tree and geometry (seed ${seed}): fsck.fat clean and mcopy round-trips`, async () => {
      const r = rng(seed);
      const type = ([12, 16, 32] as const)[seed % 3]!;
      const spc = 2 ** Math.floor(r() * 4);
      const [lo, hi] = type === 12 ? [500, 4084] : type === 16 ? [4085, 65524] : [65525, 90000];
      const clusters = lo + Math.floor(r() * (hi - lo));
      const dir = join(work, `p-src-${seed}`);
      const img = join(work, `p-${seed}.img`);
      const tree = randomTree(dir, { seed, files: 60 + Math.floor(r() * 100), maxSize: 1 + Math.floor(r() * 9000), maxDepth: 1 + Math.floor(r() * 10), collisions: 11 + Math.floor(r() * 10), wideDir: Math.floor(r() * 80) });
      const plan = await writeVolume(img, sectorsFor(type, spc, clusters), tree, r() < 0.5 ? { type, spc } : { type, spc, label: 'RANDOM' });
      expect(plan.geometry.clusterCount).toBe(clusters);
      const f = fsck(img);
      expect(f.code, f.out).toBe(0);
      expect(f.out).not.toMatch(/wrong|invalid|differ|lost|bad/i);
      const out = join(work, `p-out-${seed}`);
      mcopyOut(img, out);
      const want = snapshot(dir);
      const got = snapshot(out);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, v] of want) expect(v === null ? got.get(k) === null : got.get(k)?.equals(v), k).toBe(true);
    }, 60_000);
  }

  it('refuses a tree that does not fit, saying how many clusters it needs', async () => {
    const dir = join(work, 'big');
    const tree = randomTree(dir, { seed: 9, files: 30, maxSize: 20000, maxDepth: 2 });
    await expect(writeVolume(join(work, 'small.img'), 400, tree, { type: 12 })).rejects.toBeInstanceOf(FatFullError);
  });
});
