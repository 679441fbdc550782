import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { boardBootFiles, netbootFlow } from '../../src/netboot/board-boot-files.js';
import { netbootPayloadImage, netbootScript } from '../../src/netboot/uboot-script.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runPayload, type PayloadRunReport } from '../../src/workflows/payload-run.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * U-Boot in QEMU netboots the reference payload through OUR DHCP + TFTP servers (userspace stack on
 * a `-netdev dgram` link, no root). A run passes only when the payload's report is complete and
 * every host-side oracle agrees (nonce, disk signature, UDP frame, screendump, GPIO edge); the TFTP
 * stats prove which windowsize U-Boot negotiated and that loss was recovered by retransmission.
 */
const env = nodeRunEnvironment();
const spawner = env.spawner;
const BOARDS = ['qemu-riscv64-virt', 'qemu-aarch64-virt'] as const;

let dir: string;
let registry: BoardRegistry;
const payloadDir: Record<string, string> = {};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-netboot-run-'));
  registry = await loadBoards([join(ROOT, 'boards')]);
  for (const board of BOARDS) {
    payloadDir[board] = join(dir, board);
    await buildBoardPayload(registry, { board, outDir: payloadDir[board] }, { spawner });
  }
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function failures(r: PayloadRunReport): string[] {
  return r.oracles.filter((o) => !o.ok).map((o) => `${o.driver}/${o.oracle}: ${o.detail}`);
}

describe('generated boot files, checked by mkimage (u-boot-tools)', () => {
  it('boot.scr.uimg is a script image and the payload a kernel image at the link address', async () => {
    const opts = { loadAddress: 0x40080000, file: 'payload.uimg', arch: 'aarch64' as const, windowsize: 16 };
    await writeFile(join(dir, 'boot.scr.uimg'), netbootScript(opts));
    await writeFile(join(dir, 'payload.uimg'), netbootPayloadImage(new Uint8Array(4096).fill(0xa5), opts));
    const script = await spawner.run('mkimage', ['-l', join(dir, 'boot.scr.uimg')]);
    expect(script.stdout.toString()).toMatch(/Image Type:\s+AArch64 Linux Script/);
    const kernel = await spawner.run('mkimage', ['-l', join(dir, 'payload.uimg')]);
    expect(kernel.stdout.toString()).toMatch(/Image Type:\s+AArch64 Linux Kernel Image \(uncompressed\)/);
    expect(kernel.stdout.toString()).toMatch(/Load Address:\s+40080000/);
    expect(kernel.stdout.toString()).toMatch(/Entry Point:\s+40080000/);
    // dumpimage extracts the script text exactly as U-Boot's `source` will see it.
    await spawner.run('dumpimage', ['-T', 'script', '-p', '0', '-o', join(dir, 'script.txt'), join(dir, 'boot.scr.uimg')]);
    const text = await readFile(join(dir, 'script.txt'), 'utf8');
    expect(text).toContain('setenv tftpwindowsize 16');
    expect(text).toMatch(/tftpboot \$\{kernel_addr_r\} payload\.uimg\nbootm \$\{kernel_addr_r\} - \$\{fdtcontroladdr\}/);
  });
});

describe('netboot flow from profile data', () => {
  it('U-Boot boards get a script + payload image, PXE boards the payload as the boot file, Pis their firmware chain, others are refused', async () => {
    const flat = new Uint8Array(64).fill(0x13);
    const riscv = boardBootFiles(registry.get('qemu-riscv64-virt').profile, flat, { payloadName: 'p' });
    expect(riscv.flow).toBe('uboot-script');
    expect(Object.keys(riscv.files)).toEqual(['boot.scr.uimg', 'p.uimg']);
    expect(riscv.bootRule).toMatchObject({ vendorClass: 'U-Boot*', bootfile: 'boot.scr.uimg' });
    const efi = new Uint8Array([0x4d, 0x5a, 0, 0]); // "MZ": a PE/COFF image starts so
    const x86 = boardBootFiles(registry.get('x86-kiosk').profile, efi);
    expect(x86).toMatchObject({ flow: 'pxe', bootFile: 'bootx64.efi', bootRule: { vendorClass: 'PXEClient*', arch: [7], bootfile: 'bootx64.efi' } });
    expect(x86.files['bootx64.efi']).toBe(efi);
    expect(() => boardBootFiles(registry.get('x86-kiosk').profile, flat)).toThrow(/not a PE\/COFF file/);
    expect(() => boardBootFiles(registry.get('qemu-aarch64-virt').profile, new Uint8Array([0x7f, 0x45, 0x4c, 0x46]))).toThrow(/ELF/);
    expect(netbootFlow(registry.get('rpi3b').profile)).toBe('rpi-firmware'); // files: test/netboot/rpi-netboot-files.test.ts
    expect(() => netbootFlow(registry.get('rpi-zero2w').profile)).toThrow(/has no netboot section/);
  });
});

describe('U-Boot netboots the reference payload through our DHCP + TFTP', () => {
  it.each(BOARDS.flatMap((b) => [1, 16].map((ws) => [b, ws] as const)))(
    '%s, tftpwindowsize %i: drivers and oracles pass',
    async (board, windowsize) => {
      const r = await runPayload(registry, { board, kernel: payloadDir[board]!, netboot: true, windowsize }, env);
      expect(failures(r), r.boot.tail.join('\n')).toEqual([]);
      expect(r.ok).toBe(true);
      const transfers = r.netboot?.transfers ?? [];
      expect(transfers.map((t) => t.file)).toEqual(['boot.scr.uimg', 'payload.uimg']);
      const payload = transfers[1]!;
      // U-Boot asks for windowsize only when > 1 (net/tftp.c); our server grants what it asks.
      expect(payload.windowsize).toBe(windowsize);
      expect(payload.blksize).toBe(1468);
      expect(payload.retransmits).toBe(0);
      const bin = await readFile(join(payloadDir[board]!, 'payload.bin'));
      expect(payload.bytes).toBe(bin.length + 64); // the flat payload plus the 64-byte uImage header
    },
    120_000,
  );

  it('qemu-aarch64-virt at 5% frame loss (seeded), tftptimeout 1 s: retransmits recover, oracles pass', async () => {
    const board = 'qemu-aarch64-virt';
    const r = await runPayload(
      registry,
      // Small blocks make many frames (~190 for this payload), so the loss reliably hits TFTP.
      { board, kernel: payloadDir[board]!, netboot: true, windowsize: 4, tftpBlksize: 128, netLoss: 0.05, tftpTimeoutMs: 1000 },
      env,
    );
    expect(failures(r), r.boot.tail.join('\n')).toEqual([]);
    expect(r.ok).toBe(true);
    const transfers = r.netboot?.transfers ?? [];
    const payload = transfers.find((t) => t.file === 'payload.uimg');
    expect(payload?.blksize).toBe(128);
    expect(payload?.windowsize).toBe(4);
    expect(transfers.reduce((n, t) => n + t.retransmits, 0)).toBeGreaterThan(0);
  }, 240_000);
});
