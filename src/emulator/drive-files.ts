import { copyFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ToolFailedError } from '../core/errors.js';
import type { Spawner } from '../transports/spawner.js';
import type { QemuDriveSpec } from './qemu-spec.js';

/** The smallest power of two >= n (n >= 1). QEMU's SD model requires power-of-two sizes (hw/sd/sd.c). */
export function nextPowerOfTwo(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`size must be a positive integer, got ${n}`);
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export type ResolvedDrive = { file: string; format: 'raw' | 'qcow2' } | undefined;

/**
 * Creates the temporary files drives ask for, inside `workDir` (which the runner deletes):
 * writable copies (OVMF VARS) and power-of-two qcow2 overlays over SD images. The user's files
 * are only read.
 */
export async function prepareDriveFiles(
  drives: readonly QemuDriveSpec[],
  workDir: string,
  spawner: Spawner,
): Promise<ResolvedDrive[]> {
  const out: ResolvedDrive[] = [];
  for (const [i, d] of drives.entries()) {
    if (d.powerOfTwoOverlay) {
      const size = (await stat(d.file)).size;
      const target = nextPowerOfTwo(Math.max(size, 1));
      const overlay = join(workDir, `drive${i}-overlay.qcow2`);
      const r = await spawner.run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', resolve(d.file), '-F', d.format, overlay, String(target)], {
        timeoutMs: 20_000,
      });
      if (r.exitCode !== 0) throw new ToolFailedError('qemu-img', r.exitCode, r.stderr.toString());
      out.push({ file: overlay, format: 'qcow2' });
    } else if (d.writableCopy) {
      const copy = join(workDir, `drive${i}-${basename(d.file)}`);
      await copyFile(d.file, copy);
      out.push({ file: copy, format: d.format });
    } else out.push(undefined);
  }
  return out;
}
