import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { describeImageBootPartition, imageScriptPayload } from '../../src/netboot/image-root.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import { runBoard } from '../../src/workflows/run-board.js';
import { followJsonEvents } from '../helpers/json-events.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * `netboot serve --image out.img`: the files of the image's boot partition, read in place through
 * our FAT reader. Oracles: mtools lists and extracts the same partition independently (`mdir`,
 * `mcopy`), and real TFTP clients (curl, atftp) fetch what we serve; then U-Boot netboots the
 * payload out of the image (qemu-riscv64-virt, on the printed -netdev dgram link).
 */
const env = nodeRunEnvironment();
const bin = join(ROOT, 'bin', 'boardkit.js');
let dir: string;
let img: string;
let registry: BoardRegistry;
let nonce: Uint8Array;

async function cli(args: string[]): Promise<string> {
  const r = await env.spawner.run(process.execPath, [bin, ...args], { cwd: ROOT, timeoutMs: 120_000 });
  expect(r.exitCode, `boardkit ${args.join(' ')}: ${r.stderr.toString()}`).toBe(0);
  return r.stdout.toString();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-serve-image-'));
  registry = await loadBoards([join(ROOT, 'boards')]);
  await cli(['payload', 'build', '-b', 'qemu-riscv64-virt', '--drivers', 'uart', '-o', join(dir, 'payload')]);
  // A nonce only this image holds: the payload that boots can only have come out of the image.
  nonce = newNonce();
  const patched = join(dir, 'payload-with-nonce.bin');
  await writeFile(patched, patchConfigBlock(new Uint8Array(await readFile(join(dir, 'payload', 'payload.bin'))), { nonce }));
  img = join(dir, 'out.img');
  await cli(['image', 'build', '-b', 'qemu-riscv64-virt', '-p', patched, '-o', img]);
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts `netboot serve ARGS --json`; returns its event stream and a stop function. */
async function serve(args: string[]) {
  const child = spawn(process.execPath, [bin, 'netboot', 'serve', ...args, '--json'], { cwd: ROOT });
  const exited = new Promise((r) => child.on('exit', r));
  const stream = followJsonEvents(child);
  const stop = async () => {
    child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  return { stream, stop };
}

describe('netboot serve --image', () => {
  it('serves the boot partition: the listing is mdir\'s, and curl and atftp fetch what mcopy extracts', async () => {
    const part = describeImageBootPartition(img);
    const at = `${img}@@${part.firstLba * 512}`;
    // mtools' own listing of the partition (-/ recursive, -b bare paths).
    const mdir = await env.spawner.run('mdir', ['-/', '-b', '-i', at, '::/'], { timeoutMs: 30_000 });
    expect(mdir.exitCode, mdir.stderr.toString()).toBe(0);
    const theirs = mdir.stdout.toString().split('\n').map((l) => l.trim()).filter((l) => l && !l.endsWith('/')).map((l) => l.replace(/^::/, '')).sort();
    expect(part.files.map((f) => f.path).sort()).toEqual(theirs);
    expect(theirs).toEqual(expect.arrayContaining(['/boot.scr', '/boardkit.uimg']));

    const { stream, stop } = await serve(['--image', img, '--listen', '127.0.0.1:0']);
    try {
      await stream.waitFor((es) => es.some((e) => e.type === 'listening'), 20_000);
      const port = stream.events().find((e) => e.type === 'listening')?.address.port as number;
      expect(port, stream.stderr()).toBeGreaterThan(0);
      expect(stream.events().find((e) => e.type === 'serving-image')).toMatchObject({ partition: 1, table: 'mbr' });
      for (const path of theirs) {
        const name = path.replace(/^\//, '');
        const want = await env.spawner.run('mcopy', ['-n', '-i', at, `::${path}`, '-'], { timeoutMs: 30_000 });
        expect(want.exitCode, want.stderr.toString()).toBe(0);
        const viaCurl = await env.spawner.run('curl', ['-s', '--fail', `tftp://127.0.0.1:${port}/${name}`], { timeoutMs: 30_000 });
        expect(viaCurl.exitCode, `curl ${name}`).toBe(0);
        expect(Buffer.compare(viaCurl.stdout, want.stdout), `curl ${name} equals mcopy's`).toBe(0);
        const dest = join(dir, `atftp-${name.replace(/\//g, '_')}`);
        const viaAtftp = await env.spawner.run('atftp', ['--get', '--option', 'blksize 1024', '-r', name, '-l', dest, '127.0.0.1', String(port)], { timeoutMs: 30_000 });
        expect(viaAtftp.exitCode, `atftp ${name}: ${viaAtftp.stderr.toString()}`).toBe(0);
        expect(Buffer.compare(await readFile(dest), want.stdout), `atftp ${name} equals mcopy's`).toBe(0);
      }
      // Names are looked up as FAT does (case-insensitively); absent files are TFTP "not found".
      const upper = await env.spawner.run('curl', ['-s', '--fail', `tftp://127.0.0.1:${port}/BOOT.SCR`], { timeoutMs: 30_000 });
      expect(upper.exitCode).toBe(0);
      const missing = await env.spawner.run('curl', ['-s', '--fail', `tftp://127.0.0.1:${port}/nope.bin`], { timeoutMs: 30_000 });
      expect(missing.exitCode).not.toBe(0);
    } finally {
      await stop();
    }
  }, 120_000);

  it('a file that is not a disk image is a named error; the payload file comes from the image\'s own boot script', async () => {
    const notImage = join(dir, 'not-an-image.bin');
    await writeFile(notImage, new Uint8Array(4096));
    const r = await env.spawner.run(process.execPath, [bin, 'netboot', 'serve', '--image', notImage, '--listen', '127.0.0.1:0'], { cwd: ROOT, timeoutMs: 30_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.toString()).toMatch(/no partition table|no FAT boot partition/);
    expect(imageScriptPayload(img)).toBe('boardkit.uimg');
  }, 60_000);

  it('-b x86-kiosk: the PXE boot file is the ESP\'s EFI/BOOT/BOOTX64.EFI, the bytes mcopy extracts; a rebuilt image is served from the next request on', async () => {
    const kiosk = join(dir, 'kiosk');
    await cli(['payload', 'build', '-b', 'x86-kiosk', '--drivers', 'uart', '-o', join(kiosk, 'payload')]);
    const efi = (await readdir(join(kiosk, 'payload'))).find((f) => /\.efi$/i.test(f))!;
    const kimg = join(kiosk, 'kiosk.img');
    await cli(['image', 'build', '-b', 'x86-kiosk', '-p', join(kiosk, 'payload', efi), '-o', kimg]);
    const part = describeImageBootPartition(kimg);
    expect(part.table).toBe('gpt');
    const at = `${kimg}@@${part.firstLba * 512}`;
    const want = await env.spawner.run('mcopy', ['-n', '-i', at, '::/EFI/BOOT/BOOTX64.EFI', '-'], { timeoutMs: 30_000 });
    expect(want.exitCode, want.stderr.toString()).toBe(0);
    const { stream, stop } = await serve(['-b', 'x86-kiosk', '--image', kimg, '--listen', '127.0.0.1:0']);
    try {
      await stream.waitFor((es) => es.some((e) => e.type === 'listening'), 20_000);
      const port = stream.events().find((e) => e.type === 'listening')?.address.port as number;
      expect(stream.events().find((e) => e.type === 'serving-image'), stream.stderr()).toMatchObject({ board: 'x86-kiosk', flow: 'pxe', bootFile: 'bootx64.efi' });
      const got = await env.spawner.run('curl', ['-s', '--fail', `tftp://127.0.0.1:${port}/bootx64.efi`], { timeoutMs: 30_000 });
      expect(got.exitCode).toBe(0);
      expect(Buffer.compare(got.stdout, want.stdout)).toBe(0);
      // image build writes a new file and renames it over the old one: the next request reads the new image.
      await cli(['image', 'build', '-b', 'x86-kiosk', '-p', join(kiosk, 'payload', efi), '-o', kimg, '--add', `${join(dir, 'payload', 'payload.bin')}:extra.bin`]);
      const extra = await env.spawner.run('curl', ['-s', '--fail', `tftp://127.0.0.1:${port}/extra.bin`], { timeoutMs: 30_000 });
      expect(extra.exitCode, 'a file only the rebuilt image has').toBe(0);
      expect(Buffer.compare(extra.stdout, await readFile(join(dir, 'payload', 'payload.bin')))).toBe(0);
    } finally {
      await stop();
    }
  }, 180_000);

  it('U-Boot netboots the payload out of the image (qemu-riscv64-virt on the printed -netdev dgram link)', async () => {
    const part = describeImageBootPartition(img);
    const { stream, stop } = await serve(['--dhcp', 'full', '--qemu-link', '0:0', '-b', 'qemu-riscv64-virt', '--image', img]);
    try {
      await stream.waitFor((es) => es.some((e) => e.type === 'dhcp' && e.event.type === 'listening'), 30_000);
      const link = stream.events().find((e) => e.type === 'qemu-link');
      expect(link, stream.stderr()).toBeDefined();
      expect(stream.events().find((e) => e.type === 'serving-image')).toMatchObject({ board: 'qemu-riscv64-virt', flow: 'uboot-script', bootFile: 'boot.scr.uimg', payloadFile: 'boardkit.uimg' });
      const run = await runBoard(
        registry,
        {
          board: 'qemu-riscv64-virt',
          mode: 'netboot',
          netdev: { id: 'n0', kind: 'dgram', local: { host: '127.0.0.1', port: link!.guestPort }, remote: { host: '127.0.0.1', port: link!.hostPort } },
          drivers: ['uart'],
          extraMarkers: [{ stage: 'result', pattern: 'BOARDKIT result=pass', timeoutMs: 30_000 }],
        },
        env,
      );
      expect(run.ok, run.boot.tail.join('\n')).toBe(true);
      expect(run.boot.timeline.find((s) => s.stage === 'payload')?.line).toContain(`board=qemu-riscv64-virt nonce=${Buffer.from(nonce).toString('hex')}`);
      const done = stream.events().filter((e) => e.type === 'transfer-done');
      expect(done.map((e) => e.transfer.file)).toEqual(['boot.scr.uimg', 'boardkit.uimg']);
      // The payload transfer is the image's file, byte count for byte count.
      expect(done[1]!.bytes).toBe(part.files.find((f) => f.path === '/boardkit.uimg')!.size);
    } finally {
      await stop();
    }
  }, 180_000);
});
