/** Random trees and a bare FAT volume writer for the FAT oracle tests. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planFatVolume, type FatNodeInput, type FatType, type FatVolumePlan } from '../../src/protocols/fat/index.js';
import { SparseImageWriter } from '../../src/image/sparse-writer.js';

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_+,;=[]()#$%&@!~.éü';

export interface TreeOptions {
  seed: number;
  files: number;
  maxSize: number;
  maxDepth: number;
  /** Names in one directory that share an 8-character prefix, forcing `~N` tails. */
  collisions?: number;
  /** Files in one directory (so the directory spans clusters). */
  wideDir?: number;
}

/** Builds a random tree on disk under `dir` and returns it as planner input. */
export function randomTree(dir: string, o: TreeOptions): Array<FatNodeInput<string>> {
  const r = rng(o.seed);
  const pick = (n: number) => Math.floor(r() * n);
  const root: Array<FatNodeInput<string>> = [];
  const used = new Map<Array<FatNodeInput<string>>, Set<string>>();
  const uniqueName = (list: Array<FatNodeInput<string>>, make: () => string) => {
    const set = used.get(list) ?? new Set();
    used.set(list, set);
    for (;;) {
      const n = make().trim().replace(/\.+$/, '');
      if (!n || n === '.' || n === '..' || set.has(n.toUpperCase())) continue;
      set.add(n.toUpperCase());
      return n;
    }
  };
  const randName = () => {
    const len = 1 + pick(r() < 0.3 ? 60 : 12);
    return Array.from({ length: len }, () => CHARS[pick(CHARS.length)]).join('');
  };
  const dirs: Array<{ list: Array<FatNodeInput<string>>; path: string; depth: number }> = [{ list: root, path: dir, depth: 0 }];
  mkdirSync(dir, { recursive: true });
  const addFile = (d: (typeof dirs)[number], name: string) => {
    const size = r() < 0.1 ? 0 : pick(o.maxSize);
    const p = join(d.path, name);
    const buf = Buffer.alloc(size);
    for (let i = 0; i < size; i++) buf[i] = (i * 31 + o.seed + name.length) & 0xff;
    writeFileSync(p, buf);
    d.list.push({ kind: 'file', name, size, ref: p });
  };
  for (let i = 0; i < o.files; i++) {
    if (r() < 0.2 && dirs.length < 200) {
      const parent = dirs[pick(dirs.length)]!;
      if (parent.depth < o.maxDepth) {
        const name = uniqueName(parent.list, randName);
        const children: Array<FatNodeInput<string>> = [];
        parent.list.push({ kind: 'dir', name, children });
        const p = join(parent.path, name);
        mkdirSync(p);
        dirs.push({ list: children, path: p, depth: parent.depth + 1 });
        continue;
      }
    }
    const d = dirs[pick(dirs.length)]!;
    addFile(d, uniqueName(d.list, randName));
  }
  // A deep chain, a collision-heavy directory and a wide directory.
  let deep = dirs[0]!;
  for (let k = 0; k < o.maxDepth; k++) {
    const name = `level ${k} directory with a long name`;
    const children: Array<FatNodeInput<string>> = [];
    deep.list.push({ kind: 'dir', name, children });
    const p = join(deep.path, name);
    mkdirSync(p);
    deep = { list: children, path: p, depth: k + 1 };
  }
  addFile(deep, 'bottom.txt');
  if (o.collisions) {
    const children: Array<FatNodeInput<string>> = [];
    root.push({ kind: 'dir', name: 'collide', children });
    const d = { list: children, path: join(dir, 'collide'), depth: 1 };
    mkdirSync(d.path);
    for (let k = 0; k < o.collisions; k++) addFile(d, `verylongprefix number ${k}.text`);
  }
  if (o.wideDir) {
    const children: Array<FatNodeInput<string>> = [];
    root.push({ kind: 'dir', name: 'wide', children });
    const d = { list: children, path: join(dir, 'wide'), depth: 1 };
    mkdirSync(d.path);
    for (let k = 0; k < o.wideDir; k++) addFile(d, `a file in a wide directory ${k}.dat`);
  }
  return root;
}

/** Writes a bare FAT volume (no partition table) to `img`. */
export async function writeVolume(img: string, totalSectors: number, tree: Array<FatNodeInput<string>>, opts: { type?: FatType; spc?: number; label?: string } = {}): Promise<FatVolumePlan<string>> {
  const plan = planFatVolume({ totalSectors, root: tree, volumeId: 0x12345678, timestamp: 1_700_000_000, ...(opts.type ? { type: opts.type } : {}), ...(opts.spc ? { sectorsPerCluster: opts.spc } : {}), ...(opts.label ? { label: opts.label } : {}) });
  const w = await SparseImageWriter.create(img, totalSectors * 512);
  try {
    for (const m of plan.metadata) await w.writeBytes(m.offset, m.bytes);
    for (const f of plan.files) if (f.size) await w.writeFile(f.offset, f.ref, f.size);
  } finally {
    await w.close();
  }
  return plan;
}

/** Every file under `dir` as relative path → contents, and every directory as path → null. */
export function snapshot(dir: string): Map<string, Buffer | null> {
  const out = new Map<string, Buffer | null>();
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const rp = `${rel}/${n}`;
      if (statSync(p).isDirectory()) {
        out.set(rp, null);
        walk(p, rp);
      } else out.set(rp, readFileSync(p));
    }
  };
  walk(dir, '');
  return out;
}

export function fsck(img: string): { code: number; out: string } {
  try {
    const out = execFileSync('fsck.fat', ['-n', '-V', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: err.stdout + err.stderr };
  }
}

export function mcopyOut(img: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  execFileSync('mcopy', ['-s', '-n', '-m', '-i', img, '::/', dest], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}
