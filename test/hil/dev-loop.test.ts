/**
 * `boardkit dev`: every change of the payload gives a new netboot and a new verdict; a broken
 * payload a failing verdict, and the loop goes on; Ctrl-C ends it with nothing left running.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { startBoardkit, tmpEntries } from '../helpers/cli-child.js';

const spawner = new NodeSpawner();
const missing = !(await spawner.which('qemu-system-riscv64')) || !(await spawner.which('riscv64-unknown-elf-gcc'));
const work = mkdtempSync(join(tmpdir(), 'bk-dev-'));
const tmp = mkdtempSync(join(tmpdir(), 'bk-dev-tmp-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

interface Verdict {
  iteration: number;
  /** The verdict (the envelope's `ok` says the stream itself is fine). */
  passed: boolean;
  reason?: string;
}

describe.skipIf(missing)('boardkit dev', () => {
  it('touching the payload triggers a new netboot and verdict; a broken payload fails without stopping the loop; Ctrl-C leaves nothing', async () => {
    const payload = join(work, 'payload');
    const b = startBoardkit(['payload', 'build', '-b', 'qemu-riscv64-virt', '-o', payload], { tmpDir: tmp });
    expect(await b.done, b.err()).toBe(0);
    copyFileSync(join(payload, 'payload.bin'), join(work, 'good.bin'));

    const c = startBoardkit(['dev', '-b', 'qemu-riscv64-virt', '-p', payload, '--netboot', '-o', join(work, 'dev'), '--json'], { tmpDir: tmp });
    const verdicts = (): Verdict[] =>
      c
        .out()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type?: string } & Verdict)
        .filter((e) => e.type === 'verdict');
    const waitFor = async (n: number) => {
      for (let i = 0; i < 1200 && verdicts().length < n; i++) await new Promise((r) => setTimeout(r, 100));
      expect(verdicts().length, c.err()).toBeGreaterThanOrEqual(n);
      return verdicts()[n - 1]!;
    };
    try {
      expect((await waitFor(1)).passed).toBe(true);
      writeFileSync(join(payload, 'payload.bin'), Buffer.alloc(4096, 0x5a)); // not a payload at all
      const broken = await waitFor(2);
      expect(broken.passed, JSON.stringify(verdicts())).toBe(false);
      expect(broken.reason).toMatch(/config block/);
      copyFileSync(join(work, 'good.bin'), join(payload, 'payload.bin'));
      const fixed = await waitFor(3);
      expect(fixed).toMatchObject({ iteration: 3, passed: true });
    } finally {
      c.signal('SIGINT');
    }
    expect(await c.done, c.err()).toBe(130);
    expect(c.leftovers()).toEqual([]);
    expect(tmpEntries(tmp)).toEqual([]);
  }, 300_000);
});
