import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'boardkit.js');
const run = promisify(execFile);

/** Runs the built CLI (npm test builds first), returning exit code and output. */
async function boardkit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('boardkit boards', () => {
  it('list --json lists the ten boards', async () => {
    const r = await boardkit('boards', 'list', '--json');
    expect(r.code).toBe(0);
    const boards = JSON.parse(r.stdout).boards as Array<{ id: string; console: { base: number } }>;
    expect(boards.map((b) => b.id)).toEqual([
      'hifive-unleashed', 'hifive-unmatched', 'qemu-aarch64-virt', 'qemu-riscv64-virt', 'rpi-cm4',
      'rpi-zero2w', 'rpi3b', 'rpi4b', 'rpi5', 'x86-kiosk',
    ]);
  });

  it('show rpi4b names console, memory, driver sets, flash methods and emulation', async () => {
    const r = await boardkit('boards', 'show', 'rpi4b');
    expect(r.code).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot('__snapshots__/boards-show-rpi4b.txt');
    for (const heading of ['Console', 'Memory', 'Boot chain', 'Driver sets', 'Storage and flashing', 'Emulation', 'Boot verification'])
      expect(r.stdout).toContain(`\n${heading}\n`);
    expect(r.stdout).toContain('mini-uart (bcm2835-aux) at 0xfe215040, 115200 8N1');
    expect(r.stdout).toContain('ethernet    unsupported: GENET');
  });

  it('show of an unknown board exits 2 and lists the known ids', async () => {
    const r = await boardkit('boards', 'show', 'rpi9');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no board profile with id 'rpi9'");
    expect(r.stderr).toContain('known boards: hifive-unleashed');
  });

  it('validate exits 1 with every problem as file:line:col rule message', async () => {
    const r = await boardkit('boards', 'validate', 'test/fixtures/boards/several-faults.yaml', 'test/fixtures/boards/invalid-extends-unknown.yaml');
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => /^test\/fixtures/.test(l));
    expect(lines).toEqual([
      expect.stringMatching(/^test\/fixtures\/boards\/invalid-extends-unknown\.yaml:2:10 extends-unknown /),
      expect.stringMatching(/^test\/fixtures\/boards\/several-faults\.yaml:4:7 invalid-value /),
      expect.stringMatching(/^test\/fixtures\/boards\/several-faults\.yaml:6:9 invalid-value /),
      expect.stringMatching(/^test\/fixtures\/boards\/several-faults\.yaml:7:3 unknown-key /),
    ]);
    const ok = await boardkit('boards', 'validate', 'boards/rpi-cm4.yaml', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, issues: [] });
  });

  it('validate of a hand-edited copy of a built-in shows every problem, with a suggestion for the typo (issue 9, item 11)', async () => {
    const r = await boardkit('boards', 'validate', 'test/fixtures/boards/copy-with-typos.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => /^test\/fixtures/.test(l))).toEqual([
      "test/fixtures/boards/copy-with-typos.yaml:2:5 duplicate-id id 'rpi4b' is already defined in boards/rpi4b.yaml",
      "test/fixtures/boards/copy-with-typos.yaml:5:1 unknown-key unknown key 'vendorr': did you mean 'vendor'? (in the profile)",
      expect.stringMatching(/^test\/fixtures\/boards\/copy-with-typos\.yaml:7:9 uart-base-outside-memory-map console UART base 0x1 /),
    ]);
    expect(r.stderr).toContain('3 problem(s)');
  });

  it('--boards-dir adds a user profile beside the built-in ones', async () => {
    const r = await boardkit('boards', 'list', '--json', '--boards-dir', 'test/fixtures/boards/parent-fault');
    // The fixture directory holds a faulty parent: loading must fail, naming it.
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.details.issues[0]).toMatchObject({ rule: 'wrong-type', file: 'test/fixtures/boards/parent-fault/parent.yaml' });
  });

  it('--help teaches with examples and does not load native modules', async () => {
    const r = await boardkit('boards', 'show', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('boardkit boards show rpi4b');
  });
});
