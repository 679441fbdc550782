import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { knownArtifactIds } from '../../src/workflows/firmware-ids.js';
import { buildImage } from '../../src/workflows/image-build.js';
import { inspectImage } from '../../src/workflows/image-inspect.js';
import { ROOT } from '../helpers/node-env.js';

const work = mkdtempSync(join(tmpdir(), 'bk-image-sifive-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function blob(name: string, size: number, seed: number): string {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * seed + 11) & 0xff;
  const p = join(work, name);
  writeFileSync(p, b);
  return p;
}

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(length);
  readSync(fd, b, 0, length, offset);
  closeSync(fd);
  return b;
}

describe('image build: sifive-gpt-spl with stand-in SPL/ITB blobs', () => {
  for (const board of ['hifive-unmatched', 'hifive-unleashed']) {
    it(`${board}: sgdisk sees the SPL at LBA 34 and the ITB at LBA 2082 with their type GUIDs, the blobs in place, a bootable FAT partition`, async () => {
      const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
      const spl = blob(`${board}-spl.bin`, 130_000, 3);
      const itb = blob(`${board}-u-boot.itb`, 900_000, 5);
      const firmwareFile = async (id: string) => (id.endsWith('-spl') ? { name: 'u-boot-spl.bin', path: spl, version: '2023.01-test', licence: 'GPL-2.0+' } : id.endsWith('-itb') ? { name: 'u-boot.itb', path: itb } : Promise.reject(new Error(id)));
      const img = join(work, `${board}.img`);
      await buildImage(registry, { board, payload: blob('payload.bin', 9000, 7), output: img, sourceDateEpoch: 1_700_000_000 }, undefined, { firmwareFile });

      expect(execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' })).toContain('No problems found');
      const p1 = execFileSync('sgdisk', ['-i', '1', img], { encoding: 'utf8' });
      expect(p1).toContain('Partition GUID code: 5B193300-FC78-40CD-8002-E86C45580B47');
      expect(p1).toMatch(/First sector: 34 /);
      expect(p1).toMatch(/Last sector: 2081 /);
      const p2 = execFileSync('sgdisk', ['-i', '2', img], { encoding: 'utf8' });
      expect(p2).toContain('Partition GUID code: 2E54B353-1271-4842-806F-E436D6AF6985');
      expect(p2).toMatch(/First sector: 2082 /);
      expect(p2).toMatch(/Last sector: 10273 /);
      const p3 = execFileSync('sgdisk', ['-i', '3', img], { encoding: 'utf8' });
      expect(p3).toContain('Partition GUID code: EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
      expect(p3).toMatch(/Attribute flags: 0000000000000004/); // legacy BIOS bootable: U-Boot's `part list -bootable`

      expect(sha(readAt(img, 34 * 512, 130_000))).toBe(sha(readFileSync(spl)));
      expect(sha(readAt(img, 2082 * 512, 900_000))).toBe(sha(readFileSync(itb)));
      const seen = inspectImage(img);
      expect(seen.table).toBe('gpt');
      expect(seen.partitions.map((p) => p.filesystem?.type ?? null)).toEqual([null, null, 'fat16']);
      expect(seen.partitions[2]!.scripts![0]!.text).toContain('boardkit.uimg');
      const manifest = JSON.parse(readFileSync(`${img}.manifest.json`, 'utf8'));
      expect(manifest.partitions[0].rawSha256).toBe(sha(readFileSync(spl)));
      expect(manifest.artifacts).toEqual([
        { id: `u-boot-${board.replace('hifive-', 'sifive-')}-spl`, file: 'u-boot-spl.bin', version: '2023.01-test', licence: 'GPL-2.0+' },
        { id: `u-boot-${board.replace('hifive-', 'sifive-')}-itb`, file: 'u-boot.itb' },
      ]);
    });
  }

  it('an SPL larger than its partition is refused by how much', async () => {
    const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
    const spl = blob('big-spl.bin', 2 * 1048576, 3);
    const firmwareFile = async () => ({ name: 'x', path: spl });
    await expect(buildImage(registry, { board: 'hifive-unmatched', payload: blob('p2.bin', 100, 1), output: join(work, 'no.img'), sourceDateEpoch: 0 }, undefined, { firmwareFile })).rejects.toMatchObject({ message: /raw-does-not-fit.*by 1 MiB/ });
  });
});
