import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBoardkit } from '../helpers/cli-child.js';

/**
 * A verdict lists which checks ran and which did not apply. A bare kernel (here the reference
 * payload's flat image copied away from its payload.json, so nothing patches its nonce) is judged
 * on its markers and on everything it prints until its report ends; the verdict says that its
 * report proves nothing and that no oracle ran.
 */
let dir: string;
let bare: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-verdict-'));
  const build = startBoardkit(['payload', 'build', '-b', 'qemu-riscv64-virt', '-o', join(dir, 'p')], { tmpDir: dir });
  expect(await build.done, build.err()).toBe(0);
  // The UART-only build reports result=pass without a disk; the full build's storage driver fails without one.
  const uart = startBoardkit(['payload', 'build', '-b', 'qemu-riscv64-virt', '-d', 'uart', '-o', join(dir, 'p-uart')], { tmpDir: dir });
  expect(await uart.done, uart.err()).toBe(0);
  bare = join(dir, 'bare.bin');
  const manifest = JSON.parse(await readFile(join(dir, 'p-uart', 'payload.json'), 'utf8'));
  await copyFile(join(dir, 'p-uart', manifest.files.bin.name), bare);
  const full = JSON.parse(await readFile(join(dir, 'p', 'payload.json'), 'utf8'));
  await copyFile(join(dir, 'p', full.files.bin.name), join(dir, 'bare-full.bin'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('run: the verdict says what ran and what did not apply', () => {
  it('a bare-kernel netboot no longer passes on nonce=000…: its own result=fail counts, the oracles are listed as not run and the zero nonce is called out', async () => {
    const c = startBoardkit(['run', '-b', 'qemu-riscv64-virt', '--netboot', '-k', bare, '--out', join(dir, 'run'), '--verbose'], { tmpDir: dir });
    expect(await c.done, c.err()).toBe(1); // the unpatched payload says result=fail after its last marker
    expect(c.out()).toMatch(/n\/a {2}payload report +the report carries nonce 0{32}: the payload was not patched/);
    expect(c.out()).toMatch(/n\/a {2}host-side oracles +not run/);
    expect(c.out()).toMatch(/ok {3}stage markers/);
    expect(c.out()).toMatch(/qemu \(pid \d+\): qemu-system-riscv64 .*-nodefaults/);
    expect(c.out()).toContain(`run directory: ${join(dir, 'run')}`);
    const verdict = JSON.parse(await readFile(join(dir, 'run', 'verdict.json'), 'utf8'));
    expect(verdict.ok).toBe(false);
    expect(verdict.boot.failure.line).toMatch(/BOARDKIT result=fail/);
    expect(verdict.checks.filter((x: { status: string }) => x.status === 'not-applicable').map((x: { name: string }) => x.name)).toEqual(['payload report', 'host-side oracles']);
    expect(await readFile(join(dir, 'run', 'console.log'), 'utf8')).toMatch(/\[qemu-riscv64-virt [\d:.]+\] BOARDKIT stage=payload/);
  }, 120_000);

  it('a bare kernel whose own report says status=fail after the last marker fails (the report runs to its result= line)', async () => {
    const c = startBoardkit(['run', '-b', 'qemu-riscv64-virt', '--netboot', '-k', join(dir, 'bare-full.bin'), '--out', join(dir, 'run-full'), '--json'], { tmpDir: dir });
    expect(await c.done, c.err()).toBe(1);
    const report = JSON.parse(c.out());
    expect(report.boot.timeline.map((t: { stage: string }) => t.stage)).toEqual(['opensbi', 'u-boot', 'payload']);
    expect(report.boot.failure.kind).toBe('report-fail');
    expect(report.boot.failure.line).toMatch(/driver=storage status=fail/);
  }, 120_000);

  it('the reference payload lists every oracle as a check of its own, and keeps its run directory', async () => {
    const c = startBoardkit(['run', '-b', 'qemu-riscv64-virt', '-k', join(dir, 'p'), '--out', join(dir, 'ref'), '--json'], { tmpDir: dir });
    expect(await c.done, c.err()).toBe(0);
    const report = JSON.parse(c.out());
    expect(report.runDir).toBe(join(dir, 'ref'));
    expect(report.checks.map((x: { name: string; status: string }) => `${x.name}:${x.status}`)).toEqual(
      expect.arrayContaining(['stage markers:passed', 'failure patterns:passed', 'payload report:passed', 'report oracle (nonce):passed', 'storage oracle (disk-signature):passed']),
    );
    expect(report.checks.some((x: { name: string }) => x.name === 'host-side oracles')).toBe(false);
  }, 120_000);
});
