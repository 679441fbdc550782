import { readFile } from 'node:fs/promises';

import { decodePpm } from '../../../src/core/ppm.js';
import { comparePattern } from '../../../src/payload/fb-pattern.js';
import type { QmpClient } from './qmp.js';

/**
 * QMP `screendump` to `file`, read back. A failure (QMP error, no file) is an infrastructure
 * error and throws: it is never evidence about the payload either way.
 */
export async function takeScreendump(qmp: QmpClient, file: string): Promise<Uint8Array> {
  try {
    await qmp.execute('screendump', { filename: file });
    return new Uint8Array(await readFile(file));
  } catch (err) {
    throw new Error(`screendump failed, so the framebuffer oracle cannot judge: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * True when the screendump shows this run's pattern at 640x480; false when it is a valid
 * screendump of something else (another size: the payload never set the mode; other pixels: not
 * this run's drawing). No screendump, or bytes that are not a PPM, throw: a missing picture
 * proves nothing, neither a pass nor a negative.
 */
export function framebufferProven(screen: Uint8Array | undefined, nonce: Uint8Array): boolean {
  if (!screen) throw new Error('no screendump to judge (the screendump itself failed): an infrastructure error, not a verdict');
  const img = decodePpm(screen); // throws on anything but a P6 screendump
  if (img.width !== 640 || img.height !== 480) return false;
  return comparePattern(img, nonce).mismatches.length === 0;
}
