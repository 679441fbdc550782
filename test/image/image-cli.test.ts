import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/node-env.js';

const work = mkdtempSync(join(tmpdir(), 'bk-image-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const MT = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

function boardkit(args: string[]): { code: number; out: string; err: string } {
  try {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'boardkit.js'), ...args], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    return { code: 0, out, err: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: x.stdout, err: x.stderr };
  }
}

describe('boardkit image (CLI)', () => {
  it('build --dry-run --json prints the plan and writes nothing; build, inspect --json and extract agree with mtools', () => {
    writeFileSync(join(work, 'p.bin'), Buffer.alloc(3000, 0x5a));
    const dry = boardkit(['image', 'build', '-b', 'qemu-aarch64-virt', '-p', 'p.bin', '-o', 'a.img', '--dry-run', '--json']);
    expect(dry.code, dry.err).toBe(0);
    const plan = JSON.parse(dry.out).plan;
    expect(plan.layout).toBe('uboot-distro');
    expect(plan.partitions[0].files.map((f: { path: string }) => f.path)).toEqual(['boot.scr', 'boardkit.uimg']);
    expect(plan.partitions[0].files[0].text).toContain('bootm');
    expect(() => readFileSync(join(work, 'a.img'))).toThrow();

    const built = boardkit(['image', 'build', '-b', 'qemu-aarch64-virt', '-p', 'p.bin', '-o', 'a.img', '--json']);
    expect(built.code, built.err).toBe(0);
    const seen = JSON.parse(boardkit(['image', 'inspect', 'a.img', '--json']).out);
    expect(seen.table).toBe('mbr');
    expect(seen.partitions[0].files.map((f: { path: string }) => f.path).sort()).toEqual(['/boardkit.uimg', '/boot.scr']);

    const ex = boardkit(['image', 'extract', 'a.img', '/BOOT.SCR', '-o', 'ours.scr']);
    expect(ex.code, ex.err).toBe(0);
    execFileSync('mcopy', ['-n', '-i', `${join(work, 'a.img')}@@${seen.partitions[0].firstLba * 512}`, '::/boot.scr', join(work, 'theirs.scr')], { env: MT });
    expect(readFileSync(join(work, 'ours.scr')).equals(readFileSync(join(work, 'theirs.scr')))).toBe(true);

    const missing = boardkit(['image', 'extract', 'a.img', '/nope.txt']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/no file '\/nope.txt'/);
  });

  it('--add SRC:DEST puts user files on the boot partition (mcopy reads them back); replacing a layout file is refused', () => {
    writeFileSync(join(work, 'p3.bin'), Buffer.alloc(2000, 0x11));
    writeFileSync(join(work, 'notes.txt'), 'hello from --add\n');
    const r = boardkit(['image', 'build', '-b', 'qemu-riscv64-virt', '-p', 'p3.bin', '-o', 'add.img', '--add', 'notes.txt:docs/Read Me.txt', '--json']);
    expect(r.code, r.err).toBe(0);
    const lba = JSON.parse(r.out).plan.partitions[0].firstLba;
    const got = execFileSync('mtype', ['-i', `${join(work, 'add.img')}@@${lba * 512}`, '::/docs/Read Me.txt'], { encoding: 'utf8', env: MT });
    expect(got).toBe('hello from --add\n');
    const clash = boardkit(['image', 'build', '-b', 'qemu-riscv64-virt', '-p', 'p3.bin', '-o', 'no.img', '--add', 'notes.txt:BOOT.SCR', '--dry-run']);
    expect(clash.code).not.toBe(0);
    expect(clash.err).toMatch(/file-conflict/);
  });

  it('an unknown layout fails at once, naming the built-in ones', () => {
    writeFileSync(join(work, 'q.bin'), Buffer.alloc(10, 1));
    const r = boardkit(['image', 'build', '-b', 'qemu-riscv64-virt', '-p', 'q.bin', '--layout', 'nope', '--dry-run']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/no image layout 'nope'/);
    for (const l of ['uboot-distro', 'uboot-extlinux', 'gpt-esp', 'rpi-mbr-fat32', 'sifive-gpt-spl']) expect(r.err).toContain(l);
  });
});
