import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { decodeBmap } from '../../src/protocols/bmap/index.js';
import { decodeScriptImage } from '../../src/protocols/uimage.js';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { knownArtifactIds } from '../../src/workflows/firmware-ids.js';
import { buildImage } from '../../src/workflows/image-build.js';
import { inspectImage } from '../../src/workflows/image-inspect.js';
import { ROOT } from '../helpers/node-env.js';

const work = mkdtempSync(join(tmpdir(), 'bk-image-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const MT = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
let registry: BoardRegistry;

beforeAll(async () => {
  registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
});

function payload(name: string, size: number, head: number[] = []): string {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + 3) & 0xff;
  Buffer.from(head).copy(b);
  const p = join(work, name);
  writeFileSync(p, b);
  return p;
}

/** The bytes of one partition, as a file for fsck.fat (which takes no offset). */
function extract(img: string, offset: number, size: number, out: string): string {
  const fd = openSync(img, 'r');
  const b = Buffer.alloc(size);
  readSync(fd, b, 0, size, offset);
  closeSync(fd);
  writeFileSync(out, b);
  return out;
}

function fsckClean(file: string): string {
  return execFileSync('fsck.fat', ['-n', file], { encoding: 'utf8' });
}

describe('image build: uboot-distro (qemu-riscv64-virt)', () => {
  it('sfdisk agrees with the plan, fsck.fat is clean, mkimage -l accepts boot.scr, the payload image holds the payload at the load address', async () => {
    const pay = payload('riscv.bin', 70_000);
    const img = join(work, 'riscv.img');
    const r = await buildImage(registry, { board: 'qemu-riscv64-virt', payload: pay, output: img, sourceDateEpoch: 1_700_000_000 });
    const plan = r.plan as { diskId: string; size: number; partitions: Array<{ firstLba: number; sizeLba: number; type: string; bootable: boolean }> };
    const j = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable;
    expect(j.label).toBe('dos');
    expect(j.id).toBe(plan.diskId);
    expect(j.partitions).toHaveLength(1);
    expect([j.partitions[0].start, j.partitions[0].size, parseInt(j.partitions[0].type, 16), j.partitions[0].bootable]).toEqual([plan.partitions[0]!.firstLba, plan.partitions[0]!.sizeLba, parseInt(plan.partitions[0]!.type, 16), true]);

    const p0 = plan.partitions[0]!;
    expect(fsckClean(extract(img, p0.firstLba * 512, p0.sizeLba * 512, join(work, 'riscv-p1.fat')))).toMatch(/: 3 files, /) // fsck.fat counts the root too;

    const at = `${img}@@${p0.firstLba * 512}`;
    execFileSync('mcopy', ['-n', '-i', at, '::/boot.scr', '::/boardkit.uimg', work], { env: MT });
    const list = execFileSync('mkimage', ['-l', join(work, 'boot.scr')], { encoding: 'utf8' });
    expect(list).toMatch(/Script/);
    expect(decodeScriptImage(readFileSync(join(work, 'boot.scr')))).toContain('load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} /boardkit.uimg');
    const kernel = execFileSync('mkimage', ['-l', join(work, 'boardkit.uimg')], { encoding: 'utf8' });
    const load = registry.get('qemu-riscv64-virt').profile.memory.loadAddress!;
    expect(kernel).toMatch(/RISC-V Linux Kernel Image \(uncompressed\)/);
    expect(kernel).toContain(`Load Address: ${load.toString(16).padStart(8, '0')}`);
    expect(sha(readFileSync(join(work, 'boardkit.uimg')).subarray(64))).toBe(sha(readFileSync(pay)));

    // The manifest's per-file hashes are the stored bytes (checked against what mcopy extracted).
    const manifest = JSON.parse(readFileSync(`${img}.manifest.json`, 'utf8'));
    const files = manifest.partitions[0].files as Array<{ path: string; sha256: string }>;
    expect(files.find((f) => f.path === 'boot.scr')!.sha256).toBe(sha(readFileSync(join(work, 'boot.scr'))));
    expect(files.find((f) => f.path === 'boardkit.uimg')!.sha256).toBe(sha(readFileSync(join(work, 'boardkit.uimg'))));

    // bmaptool copy accepts our bmap and writes an identical image.
    const copy = join(work, 'riscv-copy.img');
    execFileSync('bmaptool', ['copy', '--bmap', `${img}.bmap`, img, copy], { stdio: 'pipe' });
    expect(sha(readFileSync(copy))).toBe(sha(readFileSync(img)));
    expect(decodeBmap(readFileSync(`${img}.bmap`, 'utf8')).imageSize).toBe(plan.size);

    // inspect (our own reader) sees the same.
    const seen = inspectImage(img);
    expect(seen.partitions[0]!.files!.map((f) => f.path).sort()).toEqual(['/boardkit.uimg', '/boot.scr']);
    expect(seen.partitions[0]!.scripts![0]!.text).toContain('bootm');
  });

  it('refuses an ELF payload, a payload that does not fit, and an image smaller than the layout, each with a named rule and a hint', async () => {
    const elf = payload('x.elf', 1000, [0x7f, 0x45, 0x4c, 0x46]);
    await expect(buildImage(registry, { board: 'qemu-riscv64-virt', payload: elf, output: join(work, 'no.img'), sourceDateEpoch: 0 })).rejects.toMatchObject({ message: /payload-not-loadable/, hint: /flat \.bin/ });
    const big = payload('big.bin', 40 << 20);
    const err = await buildImage(registry, { board: 'qemu-riscv64-virt', payload: big, output: join(work, 'no.img'), sourceDateEpoch: 0 }).catch((e: unknown) => e as { message: string; hint: string; details: { shortBytes: number; fitsBytes: number } });
    expect(err.message).toMatch(/files-do-not-fit/);
    expect(err.details.shortBytes).toBeGreaterThan(7 << 20);
    expect(err.hint).toMatch(/about \d/);
    rmSync(big);
    const small = payload('small.bin', 100);
    await expect(buildImage(registry, { board: 'qemu-riscv64-virt', payload: small, output: join(work, 'no.img'), size: 8 << 20, sourceDateEpoch: 0 })).rejects.toMatchObject({ message: /image-too-small/, hint: /--size \d+M/ });
  });
});

describe('image build: gpt-esp (x86-kiosk)', () => {
  it('sgdisk -v finds no problems, sfdisk agrees with the plan, mcopy extracts BOOTX64.EFI identical to the payload, fsck.fat is clean', async () => {
    const pay = payload('app.efi', 123_457, [0x4d, 0x5a]);
    const img = join(work, 'x86.img');
    const r = await buildImage(registry, { board: 'x86-kiosk', payload: pay, output: img, sourceDateEpoch: 1_700_000_000 });
    const plan = r.plan as { diskId: string; size: number; partitions: Array<{ firstLba: number; sizeLba: number; type: string; uniqueGuid: string; name: string; filesystem: { type: string } }> };
    expect(execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' })).toContain('No problems found');
    const j = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable;
    const p0 = plan.partitions[0]!;
    expect(j.label).toBe('gpt');
    expect(j.id).toBe(plan.diskId);
    expect(j.lastlba).toBe(plan.size / 512 - 34);
    expect([j.partitions[0].start, j.partitions[0].size, j.partitions[0].type, j.partitions[0].uuid, j.partitions[0].name]).toEqual([p0.firstLba, p0.sizeLba, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', p0.uniqueGuid, 'ESP']);
    expect(p0.filesystem.type).toBe('fat32');
    execFileSync('mcopy', ['-n', '-i', `${img}@@${p0.firstLba * 512}`, '::/EFI/BOOT/BOOTX64.EFI', join(work, 'got.efi')], { env: MT });
    expect(sha(readFileSync(join(work, 'got.efi')))).toBe(sha(readFileSync(pay)));
    expect(fsckClean(extract(img, p0.firstLba * 512, p0.sizeLba * 512, join(work, 'esp.fat')))).toMatch(/: 4 files, /) // root, EFI, BOOT, BOOTX64.EFI;
  });

  it('--size grows the last partition to the end (GPT backup still at the real end), fsck.fat and sgdisk agree', async () => {
    const pay = payload('app2.efi', 5000, [0x4d, 0x5a]);
    const img = join(work, 'x86-big.img');
    const r = await buildImage(registry, { board: 'x86-kiosk', payload: pay, output: img, size: 256 << 20, sourceDateEpoch: 0 });
    const p0 = (r.plan as { partitions: Array<{ firstLba: number; sizeLba: number }> }).partitions[0]!;
    expect(p0.sizeLba * 512).toBe(254 << 20);
    expect(execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' })).toContain('No problems found');
    expect(JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable.partitions[0].size).toBe(p0.sizeLba);
    expect(fsckClean(extract(img, p0.firstLba * 512, p0.sizeLba * 512, join(work, 'esp-big.fat')))).toMatch(/: 4 files, /);
  });

  it('refuses a payload that is not a PE/COFF application', async () => {
    const bin = payload('notpe.bin', 1000);
    await expect(buildImage(registry, { board: 'x86-kiosk', payload: bin, output: join(work, 'no.img'), sourceDateEpoch: 0 })).rejects.toMatchObject({ message: /payload-not-loadable/ });
  });
});

describe('reproducibility', () => {
  it('the CLI builds the same image, bmap and manifest in two directories with different TZ, umask, input mtimes and SOURCE_DATE_EPOCH set', () => {
    const hashes: string[][] = [];
    for (const [i, tz, umask, mtime] of [[0, 'UTC', '022', 1_000_000_000], [1, 'Asia/Kolkata', '077', 1_600_000_000]] as const) {
      const dir = join(work, `repro-${i}`);
      mkdirSync(dir);
      const pay = join(dir, 'payload.bin');
      copyFileSync(payload(`repro-src-${i}.bin`, 50_000), pay);
      utimesSync(pay, mtime, mtime);
      execFileSync('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, join(ROOT, 'bin', 'boardkit.js'), 'image', 'build', '-b', 'qemu-riscv64-virt', '-p', 'payload.bin', '-o', 'out.img'], {
        cwd: dir,
        env: { ...process.env, TZ: tz, SOURCE_DATE_EPOCH: '1700000000' },
        stdio: 'pipe',
      });
      hashes.push(['out.img', 'out.img.bmap', 'out.img.manifest.json'].map((f) => sha(readFileSync(join(dir, f)))));
    }
    expect(hashes[1]).toEqual(hashes[0]);
  });
});

describe('image build: rpi-mbr-fat32 (rpi3b)', () => {
  it('a bootable 0x0C partition (sfdisk) holding the firmware chain, the generated config.txt and the kernel it names (mcopy, fsck.fat)', async () => {
    const { rpiConfigTxt } = await import('../../src/boards/plan.js');
    const profile = registry.get('rpi3b').profile;
    const pay = payload('kernel.bin', 40_000);
    const stand: Record<string, { name: string; path: string }> = {};
    const firmwareFile = async (id: string) => {
      stand[id] ??= { name: { 'rpi-bootcode-bin': 'bootcode.bin', 'rpi-start-elf': 'start.elf', 'rpi-fixup-dat': 'fixup.dat' }[id] ?? `${id}.bin`, path: payload(`stand-in-${id}`, 1000 + Object.keys(stand).length * 777) };
      return stand[id]!;
    };
    const img = join(work, 'rpi.img');
    const r = await buildImage(registry, { board: 'rpi3b', payload: pay, output: img, sourceDateEpoch: 1_700_000_000 }, undefined, { firmwareFile });
    const p0 = (r.plan as { partitions: Array<{ firstLba: number; sizeLba: number; filesystem: { type: string } }> }).partitions[0]!;
    const j = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable;
    expect([j.partitions[0].start, j.partitions[0].type, j.partitions[0].bootable]).toEqual([2048, 'c', true]);
    expect(p0.filesystem.type).toBe('fat32');
    const at = `${img}@@${p0.firstLba * 512}`;
    const dest = join(work, 'rpi-out');
    mkdirSync(dest);
    execFileSync('mcopy', ['-s', '-n', '-i', at, '::/', dest], { env: MT });
    expect(readFileSync(join(dest, 'config.txt'), 'utf8')).toBe(rpiConfigTxt(profile));
    expect(readFileSync(join(dest, 'config.txt'), 'utf8')).toContain('arm_64bit=1');
    expect(sha(readFileSync(join(dest, 'kernel8.img')))).toBe(sha(readFileSync(pay)));
    for (const s of Object.values(stand)) expect(sha(readFileSync(join(dest, s.name)))).toBe(sha(readFileSync(s.path)));
    expect(fsckClean(extract(img, p0.firstLba * 512, p0.sizeLba * 512, join(work, 'rpi.fat')))).toMatch(/: 6 files, /);
  });

  it('names the missing firmware artefacts and how to get them', async () => {
    const pay = payload('kernel2.bin', 1000);
    await expect(buildImage(registry, { board: 'rpi3b', payload: pay, output: join(work, 'no.img'), sourceDateEpoch: 0 })).rejects.toMatchObject({ message: /artifact-missing.*rpi-bootcode-bin/, hint: /firmware fetch/ });
  });
});

describe('image build: nothing half-written', () => {
  it('a failure after the writes began leaves neither the image, nor its .bmap and manifest, nor a partial file; an existing image is untouched', async () => {
    const dir = join(work, 'half');
    mkdirSync(dir);
    const img = join(dir, 'x.img');
    writeFileSync(img, 'the previous image');
    const pay = payload('half.bin', 300_000);
    let writes = 0;
    const failing = (e: { source: string; type: string }) => {
      // The first file written into the FAT volume: the table and metadata are already on disk.
      if (e.source === 'image.write' && e.type === 'progress' && ++writes === 1) throw new Error('interrupted mid-write');
    };
    await expect(buildImage(registry, { board: 'qemu-riscv64-virt', payload: pay, output: img, sourceDateEpoch: 1_700_000_000 }, failing)).rejects.toThrow(/interrupted mid-write/);
    expect(writes).toBe(1);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual(['x.img']);
    expect(readFileSync(img, 'utf8')).toBe('the previous image');
    // And the same build, uninterrupted, replaces it with all three outputs.
    await buildImage(registry, { board: 'qemu-riscv64-virt', payload: pay, output: img, sourceDateEpoch: 1_700_000_000 });
    expect(readdirSync(dir).sort()).toEqual(['x.img', 'x.img.bmap', 'x.img.manifest.json']);
  });
});
