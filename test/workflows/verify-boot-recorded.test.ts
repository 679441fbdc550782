import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPtyPair, sleep, waitFor, type PtyPair } from '../console/helpers/pty-pair.js';
import { startBoardkit } from '../helpers/cli-child.js';

/**
 * Recorded boots played into a real pty (socat) as the board, read by `boardkit verify-boot`
 * through serialport: the verdict must follow everything the board printed until the run's end,
 * not stop listening at the last marker.
 */
let dir: string;
let pty: PtyPair;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-recorded-'));
  pty = await startPtyPair(dir);
});
afterEach(async () => {
  await pty.stop();
  await rm(dir, { recursive: true, force: true });
});

const BOOT = 'OpenSBI v1.1\r\nU-Boot 2023.01 (Jun 22 2026)\r\n## Starting application at 0x80200000 ...\r\n';
const PAYLOAD = 'BOARDKIT stage=payload board=qemu-riscv64-virt nonce=5f0e7d2c9a4b11e3a1b2c3d4e5f60718\r\nBOARDKIT driver=uart status=ok detail=ns16550a@0x10000000\r\n';

async function play(script: Array<string | number>, extra: string[] = []) {
  const c = startBoardkit(['verify-boot', '-b', 'qemu-riscv64-virt', '-p', pty.a, '--json', '--out', join(dir, 'run'), ...extra], { tmpDir: dir });
  await waitFor(() => c.err().includes('listening on'), 15_000, 'verify-boot to listen');
  const t0 = Date.now();
  for (const s of script) {
    if (typeof s === 'number') await sleep(s);
    else pty.write(s);
  }
  const code = await c.done;
  return { code, ms: Date.now() - t0, report: c.out() ? JSON.parse(c.out()) : undefined, err: c.err() };
}

describe('verify-boot keeps failure patterns armed until the run ends', () => {
  it('a fault 0.3 s after the payload line, then result=fail: FAIL (exit 1) with the fault line', async () => {
    const r = await play([BOOT, PAYLOAD, 300, 'BOARDKIT fault pc=0x80200abc addr=0x0 cause=0xd\r\n', 50, 'BOARDKIT result=fail\r\n']);
    expect(r.code, r.err).toBe(1);
    expect(r.report.ok).toBe(false);
    expect(['fault', 'failure-pattern']).toContain(r.report.boot.failure.kind); // the profile's own 'fault' pattern or the report rule: both name the line
    expect(r.report.boot.failure.line).toContain('cause=0xd');
  }, 30_000);

  it('driver=storage status=fail then result=fail, long after the last marker: FAIL', async () => {
    const r = await play([BOOT, PAYLOAD, 1500, 'BOARDKIT driver=storage status=fail detail=no-disk\r\nBOARDKIT result=fail\r\n']);
    expect(r.code, r.err).toBe(1);
    expect(r.report.boot.failure.kind).toBe('report-fail');
  }, 30_000);

  it('a Kernel panic line among the payload output: FAIL naming the pattern', async () => {
    const r = await play([BOOT, 'BOARDKIT stage=payload board=x\r\n', 200, 'Kernel panic - not syncing: Attempted to kill init!\r\n']);
    expect(r.code, r.err).toBe(1);
    expect(r.report.boot.failure.subject).toBe('linux-panic');
    expect(r.report.checks.find((c: { name: string }) => c.name === 'failure patterns').status).toBe('failed');
  }, 30_000);

  it('a panic during U-Boot fails at once, not as a marker timeout', async () => {
    const r = await play(['OpenSBI v1.1\r\nU-Boot 2023.01\r\n', 100, 'initcall sequence failed\r\n### ERROR ### Please RESET the board ###\r\n']);
    expect(r.code, r.err).toBe(1);
    expect(r.report.boot.failure.kind).toBe('failure-pattern');
    expect(r.report.boot.failure.subject).toBe('u-boot-hang');
    expect(r.ms).toBeLessThan(8000); // the payload stage's own timeout is 10 s
  }, 30_000);

  it('a clean report passes, lists its checks, and keeps console.log and verdict.json in the run directory', async () => {
    const r = await play([BOOT, PAYLOAD, 100, 'BOARDKIT result=pass\r\n']);
    expect(r.code, r.err).toBe(0);
    expect(r.report.checks.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['stage markers', 'passed'],
      ['failure patterns', 'passed'],
      ['payload report', 'passed'],
      ['host-side oracles', 'not-applicable'],
    ]);
    expect(await readFile(join(dir, 'run', 'console.log'), 'utf8')).toContain('BOARDKIT result=pass');
    expect(JSON.parse(await readFile(join(dir, 'run', 'verdict.json'), 'utf8')).ok).toBe(true);
  }, 30_000);

  it('the first stage timer starts at the first byte: a board powered on 3 s late still passes its 2 s first stage (x0.4)', async () => {
    const r = await play([3000, BOOT, PAYLOAD, 'BOARDKIT result=pass\r\n'], ['--multiplier', '0.4']);
    expect(r.code, r.err).toBe(0);
  }, 30_000);

  it('a silent port says that nothing was received (power-on timeout)', async () => {
    const c = startBoardkit(['verify-boot', '-b', 'qemu-riscv64-virt', '-p', pty.a, '--power-on-timeout', '1', '--out', join(dir, 'run')], { tmpDir: dir });
    expect(await c.done, c.err()).toBe(1);
    expect(c.out()).toMatch(/no-output: nothing was received on .* within 1000 ms/);
    expect(c.out()).toMatch(/last console lines: none \(nothing was received on the console\)/);
  }, 30_000);

  it('--timeout names the stage it was waiting for and how long it ran', async () => {
    const c = startBoardkit(['verify-boot', '-b', 'qemu-riscv64-virt', '-p', pty.a, '--timeout', '2', '--out', join(dir, 'run')], { tmpDir: dir });
    await waitFor(() => c.err().includes('listening on'), 15_000, 'verify-boot to listen');
    pty.write('OpenSBI v1.1\r\n');
    expect(await c.done, c.err()).toBe(1);
    expect(c.out()).toMatch(/run-timeout: the run's time limit ran out after \d+ ms while waiting for stage 'u-boot'/);
    expect(c.out()).not.toMatch(/operation was cancelled/);
  }, 30_000);
});
