import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPtyPair, sleep, waitFor, type PtyPair } from '../console/helpers/pty-pair.js';

/**
 * `boardkit verify-boot` on a pty played by the test as the board: the same path a real UART
 * takes (serialport), markers from the profile, exit codes by verdict.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'boardkit.js');

function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const done = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  return { child, done, out: () => stdout, err: () => stderr };
}

let dir: string;
let pty: PtyPair;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-verify-'));
  pty = await startPtyPair(dir);
});
afterEach(async () => {
  await pty.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('boardkit verify-boot', () => {
  it('passes when the board prints its markers in order after the port is opened', async () => {
    const cli = startCli(['verify-boot', '-b', 'qemu-riscv64-virt', '-p', pty.a, '--stages', 'opensbi', 'u-boot', '--json']);
    await waitFor(() => cli.err().includes('listening on'), 15_000, 'verify-boot to listen');
    pty.write('\r\nOpenSBI v1.1\r\n   ____                    _____ ____ _____\r\n');
    await sleep(50);
    pty.write('U-Boot 20');
    await sleep(50);
    pty.write('23.01 (Jun 22 2026)\r\n');
    expect(await cli.done, cli.err()).toBe(0);
    const report = JSON.parse(cli.out());
    expect(report.stages).toEqual(['opensbi', 'u-boot']);
    expect(report.boot.timeline.map((s: { stage: string }) => s.stage)).toEqual(['opensbi', 'u-boot']);
  }, 30_000);

  it('fails with exit 1 on a failure pattern (a fault report) and names the stage', async () => {
    const cli = startCli(['verify-boot', '-b', 'qemu-riscv64-virt', '-p', pty.a]);
    await waitFor(() => cli.err().includes('listening on'), 15_000, 'verify-boot to listen');
    pty.write('OpenSBI v1.1\r\nU-Boot 2023.01\r\nBOARDKIT fault pc=0x80200010 addr=0x0 cause=0xd\r\n');
    expect(await cli.done).toBe(1);
    expect(cli.out()).toMatch(/FAIL at stage payload: (fault|failure-pattern)/);
    expect(cli.out()).toContain('| BOARDKIT fault pc=0x80200010');
  }, 30_000);
});
