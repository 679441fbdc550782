import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `boardkit run --firmware-only` end to end: the real Debian OpenSBI/U-Boot/OVMF from the artefact
 * cache (`boardkit firmware fetch`, done by .ci/run), real QEMU under TCG, the console read through
 * serialport on QEMU's pty, verdicts and exit codes as a user sees them.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'boardkit.js');
const execFileP = promisify(execFile);

async function boardkit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-run-'));
  // A board whose U-Boot marker can never match, with a short stage timeout: a boot failure.
  await writeFile(
    join(dir, 'wrong-marker.yaml'),
    [
      'id: riscv-wrong-marker',
      'extends: qemu-riscv64-virt',
      'verify:',
      '  markers:',
      "    - { stage: opensbi, pattern: 'OpenSBI v\\d{1,3}\\.\\d{1,3}', timeoutMs: 5000 }",
      "    - { stage: u-boot, pattern: 'U-Boot 1999', timeoutMs: 500 }",
      "    - { stage: payload, pattern: 'BOARDKIT stage=payload', timeoutMs: 1000 }",
      '',
    ].join('\n'),
  );
  // A board whose QEMU binary does not exist: a host-setup failure, not a boot failure.
  await writeFile(join(dir, 'no-qemu.yaml'), ['id: riscv-no-qemu', 'extends: qemu-riscv64-virt', 'emulation:', '  qemu:', '    binary: qemu-system-nosucharch', ''].join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('boardkit run --firmware-only', () => {
  it('qemu-riscv64-virt: OpenSBI then U-Boot from Debian, verified under TCG', async () => {
    const r = await boardkit(['run', '--board', 'qemu-riscv64-virt', '--firmware-only', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, board: 'qemu-riscv64-virt', mode: 'firmware-only', accel: 'tcg' });
    expect(report.boot.timeline.map((s: { stage: string }) => s.stage)).toEqual(['opensbi', 'u-boot']);
    expect(report.boot.timeline[0].line).toMatch(/OpenSBI v1\.\d/);
    expect(report.qemu.args).toContain('-nodefaults');
    expect(report.qemu.args.join(' ')).not.toMatch(/user|slirp/);
  }, 120_000);

  it('qemu-aarch64-virt: U-Boot qemu_arm64 with acpi=off from the profile quirk', async () => {
    const log = join(dir, 'aarch64.log');
    const r = await boardkit(['run', '--board', 'qemu-aarch64-virt', '--firmware-only', '--json', '--log', log]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.boot.timeline.map((s: { stage: string }) => s.stage)).toEqual(['u-boot']);
    expect(report.qemu.args).toContain('virt,acpi=off');
    expect(await readFile(log, 'utf8')).toMatch(/\[qemu-aarch64-virt \d\d:\d\d:\d\d\.\d{3}\] U-Boot 20\d\d/);
  }, 120_000);

  it('x86-kiosk: OVMF under TCG after the KVM probe falls back (the probe answer is cached)', async () => {
    const r = await boardkit(['run', '--board', 'x86-kiosk', '--firmware-only', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.accel).toBe('tcg');
    expect(report.boot.timeline[0].stage).toBe('uefi');
    expect(report.qemu.args.filter((a: string) => a.startsWith('if=pflash'))).toHaveLength(2);
  }, 150_000);

  it('a marker that never comes fails at that stage with exit 1, the timeout and the last lines', async () => {
    const r = await boardkit(['run', '--board', 'riscv-wrong-marker', '--boards-dir', dir, '--firmware-only']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/opensbi\s+\d+ ms\s+OpenSBI v1/);
    expect(r.stdout).toContain('FAIL at stage u-boot: marker-timeout');
    expect(r.stdout).toContain('last console lines:');
    expect(r.stdout).toMatch(/\| .*U-Boot 2023/); // it booted; the profile's marker is what is wrong
  }, 120_000);

  it('a missing QEMU is a host-setup failure (exit 3) naming the tool, not a boot failure', async () => {
    const r = await boardkit(['run', '--board', 'riscv-no-qemu', '--boards-dir', dir, '--firmware-only']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("host tool 'qemu-system-nosucharch' was not found");
  }, 60_000);

  it('asking for a mode the board lacks is a usage error naming the modes it has', async () => {
    const r = await boardkit(['run', '--board', 'hifive-unleashed', '--firmware-only']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot be emulated in mode 'firmware-only'");
    expect(r.stderr).toContain('modes this board has: kernel');
  }, 60_000);
});
