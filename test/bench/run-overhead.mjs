#!/usr/bin/env node
// What `boardkit run` adds on top of plain QEMU to reach the same console marker, in one run:
//   peer:  qemu-system-riscv64 -M virt ... -serial stdio | grep -m1 'U-Boot 20'   (time to the match)
//   ours:  runBoard() in-process: registry, artefact digests, QEMU paused, pty console through
//          serialport, QMP cont, expect (time from the call to the same marker)
//   cli:   `boardkit run --board qemu-riscv64-virt --firmware-only` wall clock to exit
// Medians of RUNS alternating runs; target: ours - peer <= 300 ms. Needs `boardkit firmware fetch`.
// Usage: node test/bench/run-overhead.mjs [RUNS] (5; BENCH_SMOKE=1, the smoke run in `npm test`: 1).
import { spawn } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBoards } from '../../dist/boards/loader.js';
import { resolveArtifact } from '../../dist/artifacts/resolve-artifact.js';
import { defaultCacheDir } from '../../dist/core/cache-dir.js';
import { runBoard } from '../../dist/workflows/run-board.js';
import { NodeSpawner } from '../../dist/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../dist/transports/node/qmp-socket.js';
import { openNodeSerialLink } from '../../dist/transports/node/open-serial-link.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = Number(process.argv[2] ?? (process.env.BENCH_SMOKE === '1' ? 1 : 5));
const MARKER = 'U-Boot 20';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cacheDir = defaultCacheDir();
const manifestDir = join(ROOT, 'firmware-manifests');

async function peer() {
  const bios = await resolveArtifact('opensbi-fw-jump', { cacheDir, manifestDir });
  const kernel = await resolveArtifact('u-boot-qemu-riscv64-smode', { cacheDir, manifestDir });
  const cmd = `qemu-system-riscv64 -nodefaults -display none -M virt -m 512M -smp 1 -bios '${bios}' -kernel '${kernel}' -serial stdio | grep -m1 '${MARKER}'`;
  const t0 = performance.now();
  const child = spawn('sh', ['-c', cmd], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((res) => child.stdout.on('data', (b) => b.toString().includes(MARKER) && res()));
  const ms = performance.now() - t0;
  process.kill(-child.pid, 'SIGKILL'); // the shell, QEMU and grep: the whole group we started
  await new Promise((r) => child.on('exit', r));
  return ms;
}

async function ours() {
  const t0 = performance.now();
  let at = 0;
  const registry = await loadBoards([join(ROOT, 'boards')]);
  const env = { spawner: new NodeSpawner(), connectQmp: connectQmpSocket, openLink: openNodeSerialLink, cacheDir, manifestDir };
  const report = await runBoard(registry, {
    board: 'qemu-riscv64-virt',
    mode: 'firmware-only',
    whileRunning: async ({ console }) => {
      await console.cursor('start').expect(MARKER);
      at = performance.now() - t0;
    },
  }, env);
  if (!report.ok) throw new Error(`boot failed: ${report.boot.failure?.message}`);
  return at;
}

async function cli() {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'boardkit.js'), 'run', '--board', 'qemu-riscv64-virt', '--firmware-only', '--json'], { stdio: 'ignore' });
  const code = await new Promise((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`boardkit run exited ${code}`);
  return performance.now() - t0;
}

const p = [], o = [], c = [];
await ours(); // warm-up: KVM probe cache, page cache
for (let i = 0; i < RUNS; i++) {
  p.push(await peer());
  o.push(await ours());
  c.push(await cli());
}
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(' ');
console.log(`plain qemu | grep -m1   ms: ${fmt(p)}  median ${median(p).toFixed(0)}`);
console.log(`boardkit runBoard()     ms: ${fmt(o)}  median ${median(o).toFixed(0)}`);
console.log(`boardkit run (CLI, exit) ms: ${fmt(c)}  median ${median(c).toFixed(0)}`);
const added = median(o) - median(p);
console.log(`added by boardkit to reach '${MARKER}': ${added.toFixed(0)} ms (target <= 300 ms) ratio ${(median(o) / median(p)).toFixed(2)}x; CLI process overhead (node start, exit) ${(median(c) - median(o)).toFixed(0)} ms`);
