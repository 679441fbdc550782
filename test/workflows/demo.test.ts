import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** The README's main job, as a user runs it: `boardkit demo` on the embedded default board. */
const ROOT = resolve(import.meta.dirname, '..', '..');

describe('boardkit demo (the README main job)', () => {
  it('qemu-riscv64-virt: firmware, payload build, payload with oracles, netboot all pass', async () => {
    const out = await mkdtemp(join(tmpdir(), 'boardkit-demo-'));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'boardkit.js'), 'demo', '-o', out, '--json'], { cwd: ROOT, timeout: 240_000 });
      const report = JSON.parse(stdout);
      expect(report.steps.map((s: { name: string; ok: boolean }) => [s.name.split(' ')[0], s.ok])).toEqual([
        ['firmware', true],
        ['payload', true],
        ['payload', true],
        ['payload', true],
      ]);
      const netboot = report.steps[3].report;
      // U-Boot fetched the boot script, then the payload (its name is the script generator's choice).
      expect(netboot.netboot.transfers.map((t: { file: string }) => t.file)).toEqual(['boot.scr.uimg', expect.stringMatching(/^payload\./)]);
      expect(netboot.netboot.transfers[1].windowsize).toBe(16);
      expect(report.ok).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 240_000);
});
