import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveArtifact } from '../../src/artifacts/resolve-artifact.js';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { boardBootFiles, rpiConfigTxt, stripPiSerialPrefix } from '../../src/netboot/board-boot-files.js';
import { readConfigBlock } from '../../src/payload/config-block.js';
import { UdpDatagramNetwork } from '../../src/transports/node/udp-datagram-link.js';
import { netbootServe, type NetbootServeEvent } from '../../src/workflows/netboot-serve.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { followJsonEvents } from '../helpers/json-events.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * Raspberry Pi netboot files: the ROM asks for bootcode.bin, then `<serial>/start.elf`, fixup.dat,
 * config.txt and the kernel. We serve the Debian firmware from the verified cache, a config.txt
 * generated from the profile, and the payload with this run's nonce patched. (No emulator runs the
 * VideoCore firmware, so a real TFTP client fetches what a Pi would.)
 */
const env = nodeRunEnvironment();
let dir: string;
let registry: BoardRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-rpi-netboot-'));
  registry = await loadBoards([join(ROOT, 'boards')]);
  await buildBoardPayload(registry, { board: 'rpi3b', outDir: dir }, { spawner: env.spawner });
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Raspberry Pi netboot files', () => {
  it('config.txt comes from the profile and the console UART controller; the Pi gets option 43', () => {
    const profile = registry.get('rpi3b').profile;
    expect(rpiConfigTxt(profile).split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'arm_64bit=1',
      'kernel=kernel8.img',
      'kernel_address=0x80000',
      'enable_uart=1',
      'framebuffer_width=640',
      'framebuffer_height=480',
    ]);
    const files = boardBootFiles(profile, new Uint8Array([1, 2, 3]), { firmware: { 'bootcode.bin': new Uint8Array([9]) } });
    expect(files.flow).toBe('rpi-firmware');
    expect(files.bootFile).toBe('bootcode.bin');
    expect(Object.keys(files.files).sort()).toEqual(['bootcode.bin', 'config.txt', 'kernel8.img']);
    expect(files.bootRule).toMatchObject({ vendorClass: 'PXEClient*', raspberryPiBoot: true, bootfile: 'bootcode.bin' });
    expect(stripPiSerialPrefix('0123abcd/start.elf')).toBe('start.elf');
    expect(stripPiSerialPrefix('start.elf')).toBe('start.elf');
    expect(() => boardBootFiles(profile, new Uint8Array([1]))).toThrow(/no firmware files were given/);
  });

  it('netboot serve --board rpi3b serves the cached firmware (also under the serial prefix) and the patched kernel', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'boardkit.js'), 'netboot', 'serve', '--board', 'rpi3b', '--payload', dir, '--listen', '127.0.0.1:0', '--dhcp', 'off', '--json'], { cwd: ROOT });
    try {
      const events = await followJsonEvents(child).waitFor((es) => es.some((e) => e.type === 'listening'), 20_000);
      const port = events.find((e) => e.type === 'listening')!.address.port as number;
      const nonce = events.find((e) => e.type === 'serving')!.nonce as string;
      const get = async (name: string) => {
        const r = await env.spawner.run('curl', ['-s', '--fail', `tftp://127.0.0.1:${port}/${name}`], { timeoutMs: 30_000 });
        expect(r.exitCode, `curl ${name}`).toBe(0);
        return new Uint8Array(r.stdout);
      };
      const cached = async (id: string) => sha(new Uint8Array(await readFile(await resolveArtifact(id, { cacheDir: env.cacheDir, manifestDir: env.manifestDir }))));
      expect(sha(await get('bootcode.bin'))).toBe(await cached('rpi-bootcode-bin'));
      expect(sha(await get('0123abcd/start.elf'))).toBe(await cached('rpi-start-elf'));
      expect(sha(await get('0123abcd/fixup.dat'))).toBe(await cached('rpi-fixup-dat'));
      expect(new TextDecoder().decode(await get('0123abcd/config.txt'))).toContain('enable_uart=1');
      const kernel = await get('0123abcd/kernel8.img');
      expect(Buffer.from(readConfigBlock(kernel).nonce).toString('hex')).toBe(nonce);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
  }, 90_000);

  it('the netboot serve workflow resolves the Pi firmware from the artefact cache itself (the CLI passes only where the cache is)', async () => {
    const events: NetbootServeEvent[] = [];
    const abort = new AbortController();
    await netbootServe({
      network: new UdpDatagramNetwork({ nativePump: false }),
      listen: '127.0.0.1:0',
      board: 'rpi3b',
      payload: dir,
      registry,
      cacheDir: env.cacheDir,
      manifestDir: env.manifestDir,
      signal: abort.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'listening') abort.abort();
      },
    });
    const serving = events.find((e) => e.type === 'serving');
    const size = async (id: string) => (await readFile(await resolveArtifact(id, { cacheDir: env.cacheDir, manifestDir: env.manifestDir }))).length;
    expect(serving?.type === 'serving' && Object.fromEntries(serving.files.map((f) => [f.name, f.bytes]))).toMatchObject({ 'bootcode.bin': await size('rpi-bootcode-bin'), 'start.elf': await size('rpi-start-elf'), 'fixup.dat': await size('rpi-fixup-dat') });
  }, 60_000);
});
