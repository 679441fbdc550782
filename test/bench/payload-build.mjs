#!/usr/bin/env node
/**
 * Payload build benchmark: wall time of buildPayload per board (target < 5 s each), beside the
 * peer — the very same compiler/objcopy steps run directly with child_process (no boardkit) —
 * so the ratio is boardkit's own overhead (spec validation, generation, hashing, manifest).
 *
 *   npm run build && node test/bench/payload-build.mjs
 *
 * Env: BENCH_REPS (3). Boards whose toolchain is missing are reported and skipped.
 * BENCH_SMOKE=1 (the smoke run in `npm test`): the first board, one repetition, and a time over
 * the target is reported but does not fail (a smoke run shares the machine with the test suite).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPayload, planPayloadBuild } from '../../dist/payload/index.js';
import { NodeSpawner } from '../../dist/transports/node/node-spawner.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const REPS = Number(process.env.BENCH_REPS ?? (SMOKE ? 1 : 3));
const TARGET_MS = 5000;
const spawner = new NodeSpawner();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The same driver sets the tests boot (test/payload/helpers/boards.ts), as plain data.
const virtio = (kind, controller, base, slots, stride) => ({ kind, controller, base, slots, stride });
const SPECS = [
  { board: 'qemu-riscv64-virt', arch: 'riscv64', format: 'elf+bin', loadAddress: 0x80200000, timerHz: 10_000_000, exit: 'sbi-srst',
    console: { type: 'ns16550a', base: 0x10000000, baud: 115200 },
    drivers: [{ kind: 'uart', controller: 'ns16550a', base: 0x10000000 }, virtio('storage', 'virtio-blk', 0x10001000, 8, 0x1000), virtio('ethernet', 'virtio-net', 0x10001000, 8, 0x1000)] },
  { board: 'qemu-aarch64-virt', arch: 'aarch64', format: 'elf+bin', loadAddress: 0x40080000, exit: 'psci-hvc',
    console: { type: 'pl011', base: 0x09000000, baud: 115200 },
    drivers: [{ kind: 'uart', controller: 'pl011', base: 0x09000000 }, { kind: 'gpio', controller: 'pl061', base: 0x09030000, line: 3 },
      { kind: 'framebuffer', controller: 'ramfb', base: 0x09020000 }, virtio('storage', 'virtio-blk', 0x0a000000, 32, 0x200), virtio('ethernet', 'virtio-net', 0x0a000000, 32, 0x200)] },
  { board: 'rpi3b', arch: 'aarch64', format: 'elf+bin', loadAddress: 0x80000,
    console: { type: 'bcm2835-aux', base: 0x3f215040, baud: 115200 },
    drivers: [{ kind: 'uart', controller: 'bcm2835-aux', base: 0x3f215040 }, { kind: 'gpio', controller: 'bcm2835-gpio', base: 0x3f200000, sdRoute: 'sdhost' },
      { kind: 'framebuffer', controller: 'mailbox-fb', base: 0x3f00b880 }, { kind: 'storage', controller: 'sdhost', base: 0x3f202000 }] },
  { board: 'hifive-unleashed', arch: 'riscv64', format: 'elf+bin', loadAddress: 0x80200000, timerHz: 1_000_000, exit: 'sbi-srst',
    console: { type: 'sifive', base: 0x10010000, baud: 115200 },
    drivers: [{ kind: 'uart', controller: 'sifive', base: 0x10010000 }, { kind: 'gpio', controller: 'sifive-gpio', base: 0x10060000, line: 10 }] },
  { board: 'x86-kiosk', arch: 'x86_64', format: 'efi', loadAddress: 0, exit: 'efi-reset',
    console: { type: 'pc-com', base: 0x3f8, baud: 115200 },
    drivers: [{ kind: 'uart', controller: 'pc-com', base: 0x3f8 }, { kind: 'framebuffer', controller: 'gop', base: 0 }] },
];

const dir = mkdtempSync(join(tmpdir(), 'bk-payload-bench-'));
let over = 0;
console.log(`board               boardkit ms   direct cc ms   ratio   (median of ${REPS}; target < ${TARGET_MS} ms)`);
try {
  for (const spec of SMOKE ? SPECS.slice(0, 1) : SPECS) {
    const plan = planPayloadBuild(spec, { outDir: join(dir, spec.board, 'plan') });
    const missing = [];
    for (const t of plan.tools) if (!(await spawner.which(t.tool))) missing.push(`${t.tool} (apt-get install ${t.debianPackage})`);
    if (missing.length) {
      console.log(`${spec.board.padEnd(20)}skipped: missing ${missing.join(', ')}`);
      continue;
    }
    const ours = [];
    const direct = [];
    for (let i = 0; i < REPS; i++) {
      let t = performance.now();
      await buildPayload(spec, { spawner, outDir: join(dir, spec.board, `bk-${i}`) });
      ours.push(performance.now() - t);
      // Peer: the same generated files and tool steps, run directly.
      const p = planPayloadBuild(spec, { outDir: join(dir, spec.board, `cc-${i}`) });
      mkdirSync(join(p.outDir, 'gen'), { recursive: true });
      for (const [path, text] of Object.entries(p.generated)) writeFileSync(path, text);
      t = performance.now();
      for (const st of p.steps) {
        const r = spawnSync(st.tool.tool, st.args, { cwd: st.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
        if (r.status !== 0) throw new Error(`${st.tool.tool} failed: ${r.stderr}`);
      }
      direct.push(performance.now() - t);
    }
    const a = median(ours);
    const b = median(direct);
    if (a > TARGET_MS) over++;
    console.log(`${spec.board.padEnd(20)}${a.toFixed(0).padStart(11)}   ${b.toFixed(0).padStart(12)}   ${(a / b).toFixed(2).padStart(5)}${a > TARGET_MS ? '   OVER TARGET' : ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(over && !SMOKE ? 1 : 0);
