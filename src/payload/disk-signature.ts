/**
 * Storage oracle: the host writes a random disk signature into the disk it attaches, the payload
 * must read it back through its storage driver. Only a driver that really read sector 0 can
 * report this run's value.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

import { ToolFailedError } from '../core/errors.js';
import type { Spawner } from '../transports/spawner.js';
import { PayloadReportError, driverReport } from './report.js';
import type { BootReport } from './report.js';

/** MBR disk signature: 4 bytes little-endian at byte 440 (UEFI 2.9 §5.2.1, Table 5-1). */
export const MBR_DISK_SIGNATURE_OFFSET = 440;

/** A random non-zero 32-bit signature (zero reads as "no signature" to many tools). */
export function randomDiskSignature(): number {
  for (;;) {
    const v = randomBytes(4).readUInt32LE(0);
    if (v !== 0) return v;
  }
}

export function formatDiskSignature(sig: number): string {
  return `0x${(sig >>> 0).toString(16).padStart(8, '0')}`;
}

/** Writes `sig` into an MBR sector image in memory (pure; returns a copy). */
export function withMbrDiskSignature(sector0: Uint8Array, sig: number): Uint8Array {
  const out = new Uint8Array(sector0);
  new DataView(out.buffer, out.byteOffset).setUint32(MBR_DISK_SIGNATURE_OFFSET, sig >>> 0, true);
  return out;
}

/** Rewrites the signature of an existing disk image file in place (4 bytes, nothing else). */
export async function writeDiskSignature(path: string, sig: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(sig >>> 0, 0);
    await fh.write(b, 0, 4, MBR_DISK_SIGNATURE_OFFSET);
  } finally {
    await fh.close();
  }
}

/**
 * Makes a fixture disk: a sparse file of `sizeBytes` with an MBR written by sfdisk (one Linux
 * partition) carrying `signature` as its label-id. sfdisk is the independent writer here.
 */
export async function createFixtureDisk(spawner: Spawner, path: string, sizeBytes: number, signature: number): Promise<void> {
  const fh = await open(path, 'w');
  await fh.truncate(sizeBytes);
  await fh.close();
  const script = `label: dos\nlabel-id: ${formatDiskSignature(signature)}\n,\n`;
  const r = await spawner.run('sfdisk', ['--no-reread', '--no-tell-kernel', '-q', path], { input: script, env: { LC_ALL: 'C' } });
  if (r.exitCode !== 0) throw new ToolFailedError('sfdisk', r.exitCode, r.stderr.toString('utf8'));
}

/** The storage line must carry exactly the signature this run wrote. */
export function checkStorageReport(report: BootReport, expected: number): void {
  const d = driverReport(report, 'storage');
  const want = formatDiskSignature(expected);
  if (!d) throw new PayloadReportError('no storage line in the report', report, 'was the payload built with a storage driver?');
  if (d.status !== 'ok' || d.fields.sig?.toLowerCase() !== want)
    throw new PayloadReportError(
      `storage reported ${d.fields.sig ?? 'no signature'} (${d.status}), the host wrote ${want}`,
      report,
      'the driver did not read the attached disk (wrong controller, wrong disk, or it did not read at all)',
    );
}
