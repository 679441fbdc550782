/**
 * Writes an `ImagePlan` into its output file: the partition table (MBR, or GPT with its protective
 * MBR and the backup at the real end), each FAT volume's metadata, then every file's contents
 * streamed to its extent. Returns the bmap text and each file's sha256 (hashed as it is written).
 */
import { createHash } from 'node:crypto';
import { noProgress, type ProgressSink } from '../core/progress.js';
import { encodeGpt, GPT_ATTR_LEGACY_BIOS_BOOTABLE } from '../protocols/gpt/index.js';
import { encodeMbr } from '../protocols/mbr/index.js';
import type { ImagePlan } from './image-plan.js';
import { SparseImageWriter } from './sparse-writer.js';

export interface AppliedImage {
  bmap: string;
  /** `<partition index>:<path>` → sha256 of the file as stored. */
  fileSha256: Record<string, string>;
  mappedBytes: number;
}

export function tableBytes(plan: ImagePlan): Array<{ offset: number; bytes: Uint8Array; what: string }> {
  const total = plan.size / plan.sectorSize;
  if (plan.table === 'mbr') {
    const bytes = encodeMbr({
      diskSignature: parseInt(plan.diskId, 16),
      partitions: plan.partitions.map((p) => ({ bootable: p.bootable, type: parseInt(p.type, 16), firstLba: p.firstLba, sizeLba: p.sizeLba })),
    });
    return [{ offset: 0, bytes, what: 'MBR' }];
  }
  const gpt = encodeGpt({
    diskGuid: plan.diskId,
    sectorSize: plan.sectorSize,
    totalSectors: total,
    // Bootable on GPT: attribute bit 2, Legacy BIOS Bootable (UEFI 2.10 Table 5-7), which U-Boot's `part list -bootable` reads.
    partitions: plan.partitions.map((p) => ({ typeGuid: p.type, uniqueGuid: p.uniqueGuid!, firstLba: p.firstLba, lastLba: p.firstLba + p.sizeLba - 1, name: p.name, ...(p.bootable ? { attributes: GPT_ATTR_LEGACY_BIOS_BOOTABLE } : {}) })),
  });
  return [
    { offset: 0, bytes: gpt.primary, what: 'protective MBR, primary GPT header and entries' },
    { offset: gpt.backupOffset, bytes: gpt.backup, what: 'backup GPT entries and header' },
  ];
}

export async function applyImagePlan(plan: ImagePlan, out: string, progress: ProgressSink = noProgress): Promise<AppliedImage> {
  const w = await SparseImageWriter.create(out, plan.size);
  const fileSha256: Record<string, string> = {};
  try {
    for (const t of tableBytes(plan)) await w.writeBytes(t.offset, t.bytes);
    const totalBytes = plan.partitions.reduce((n, p) => n + p.files.reduce((m, f) => m + f.size, 0), 0);
    let done = 0;
    for (const p of plan.partitions) {
      if (p.raw) {
        const h = createHash('sha256');
        await w.writeFile(p.offset, p.raw.path, p.raw.size, (c) => h.update(c));
        fileSha256[`${p.index}:raw`] = h.digest('hex');
      }
      if (!p.fat) continue;
      for (const m of p.fat.metadata) await w.writeBytes(p.offset + m.offset, m.bytes);
      for (const ext of p.fat.files) {
        const f = ext.ref;
        const h = createHash('sha256');
        const at = p.offset + ext.offset;
        if (f.content.kind === 'bytes') {
          h.update(f.content.bytes);
          await w.writeBytes(at, f.content.bytes);
        } else {
          const pre = f.content.prefix ?? new Uint8Array();
          h.update(pre);
          if (pre.length) await w.writeBytes(at, pre);
          await w.writeFile(at + pre.length, f.content.path, f.content.size, (c) => h.update(c));
        }
        fileSha256[`${p.index}:${f.path}`] = h.digest('hex');
        done += f.size;
        progress({ source: 'image.write', type: 'progress', message: f.path, done, total: totalBytes });
      }
    }
    progress({ source: 'image.bmap', type: 'start', message: 'hashing mapped ranges' });
    const bmap = await w.bmap();
    const mappedBytes = w.ranges().reduce((n, r) => n + (r.last - r.first + 1) * w.blockSize, 0);
    return { bmap, fileSha256, mappedBytes };
  } finally {
    await w.close();
  }
}
