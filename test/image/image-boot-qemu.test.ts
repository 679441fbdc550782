/**
 * Images boot with no kernel given, the image as the board's disk:
 * - `uboot-distro` on QEMU `virt` (riscv64 with OpenSBI + U-Boot; aarch64 with U-Boot as the BIOS):
 *   U-Boot's own distro boot must find boot.scr on the virtio disk, run it, load the payload image and
 *   verify its CRC;
 * - `gpt-esp` on q35 + OVMF: the firmware must find EFI/BOOT/BOOTX64.EFI on the ESP by itself;
 * and the reference payload must then print its report. (The runner's `run --image` is not wired
 * for these boards yet; this drives QEMU directly with the profiles' documented quirks.)
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { knownArtifactIds } from '../../src/workflows/firmware-ids.js';
import { buildImage } from '../../src/workflows/image-build.js';
import { inspectImage } from '../../src/workflows/image-inspect.js';
import { FatReader } from '../../src/protocols/fat/index.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { ROOT } from '../helpers/node-env.js';

const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const work = mkdtempSync(join(tmpdir(), 'bk-image-boot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Case {
  board: string;
  layout?: string;
  needs: string[];
  qemu: (img: string) => string[];
  expectLog: RegExp[];
}

const disk = (img: string, bus: string) => ['-drive', `file=${img},format=raw,if=none,id=d0,readonly=on`, '-device', `${bus},drive=d0`];
const UBOOT_LOG = [/Scanning virtio 0:1\.\.\./, /Found U-Boot script \/boot\.scr/, /boardkit: distro boot script/, /Image Name:\s+boardkit payload/, /Verifying Checksum \.\.\. OK/];
const CASES: Case[] = [
  {
    board: 'qemu-riscv64-virt',
    needs: [OPENSBI, '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin'],
    qemu: (img) => ['qemu-system-riscv64', '-M', 'virt', '-m', '512M', '-bios', OPENSBI, '-kernel', '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin', ...disk(img, 'virtio-blk-device')],
    expectLog: UBOOT_LOG,
  },
  {
    board: 'qemu-riscv64-virt',
    layout: 'uboot-extlinux',
    needs: [OPENSBI, '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin'],
    qemu: (img) => ['qemu-system-riscv64', '-M', 'virt', '-m', '512M', '-bios', OPENSBI, '-kernel', '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin', ...disk(img, 'virtio-blk-device')],
    expectLog: [/Found \/extlinux\/extlinux\.conf/, /Retrieving file: \/boardkit\.uimg/, /Verifying Checksum \.\.\. OK/],
  },
  {
    board: 'qemu-aarch64-virt',
    needs: ['/usr/lib/u-boot/qemu_arm64/u-boot.bin'],
    // acpi=off: the profile's quirk (QEMU 7.2 omits the PL061 from the DT otherwise).
    qemu: (img) => ['qemu-system-aarch64', '-M', 'virt,acpi=off', '-cpu', 'cortex-a57', '-m', '1G', '-bios', '/usr/lib/u-boot/qemu_arm64/u-boot.bin', ...disk(img, 'virtio-blk-device')],
    expectLog: UBOOT_LOG,
  },
  {
    board: 'x86-kiosk',
    needs: ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
    qemu: (img) => {
      // OVMF writes its variable store: a private copy (the profile's writable-vars-copy quirk).
      const vars = join(work, 'OVMF_VARS.fd');
      copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', vars);
      return ['qemu-system-x86_64', '-M', 'q35', '-m', '512M', '-drive', 'if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd', '-drive', `if=pflash,format=raw,file=${vars}`, ...disk(img, 'virtio-blk-pci')];
    },
    expectLog: [],
  },
];

async function bootAndRead(argv: string[], serial: string[] = ['-serial', 'stdio']): Promise<string> {
  const [bin, ...args] = argv;
  const qemu = spawn(bin!, ['-nodefaults', '-nographic', ...args, ...serial, '-monitor', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => qemu.on('exit', () => r()));
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no payload report within 200 s; console:\n${log.slice(-3000)}`)), 200_000);
      const onData = (b: Buffer) => {
        log += b.toString('latin1');
        if (/BOARDKIT result=/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      qemu.stdout.on('data', onData);
      qemu.stderr.on('data', onData);
      qemu.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`QEMU exited early; console:\n${log.slice(-3000)}`));
      });
    });
  } finally {
    qemu.kill('SIGTERM');
    await exited;
  }
  return log;
}

/**
 * raspi3b: QEMU does not run the VideoCore firmware, so the kernel is taken from the image's own
 * config.txt as the firmware would (read with our FAT reader), and the image is the SD card through
 * a qcow2 overlay of the next power of two (QEMU 7.2 refuses other SD sizes; the image is never resized).
 */
describe.skipIf(!existsSync('/usr/bin/qemu-img'))('the rpi-mbr-fat32 image on raspi3b', () => {
  it('the kernel config.txt names, from the image, boots with the image as the SD card and reports', async () => {
    const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
    const pay = await buildBoardPayload(registry, { board: 'rpi3b', drivers: ['uart'], outDir: join(work, 'payload-rpi3b') }, { spawner: new NodeSpawner() });
    const standIn = join(work, 'stand-in-firmware.bin');
    writeFileSync(standIn, 'not the VideoCore firmware: QEMU never runs it');
    const img = join(work, 'rpi3b.img');
    await buildImage(registry, { board: 'rpi3b', payload: pay.bin!.path, output: img, sourceDateEpoch: 1_700_000_000 }, undefined, { firmwareFile: async (id) => ({ name: `${id}.bin`, path: standIn }) });

    const seen = inspectImage(img);
    const boot = seen.partitions[0]!;
    const fd = openSync(img, 'r');
    const kernel = join(work, 'kernel-from-image');
    try {
      const reader = new FatReader({ read: (o, n) => { const b = new Uint8Array(n); readSync(fd, b, 0, n, o); return b; } }, boot.firstLba * 512);
      const config = new TextDecoder().decode(reader.readFile(reader.stat('/config.txt')!));
      const name = /^kernel=(.+)$/m.exec(config)![1]!;
      writeFileSync(kernel, reader.readFile(reader.stat(`/${name}`)!));
    } finally {
      closeSync(fd);
    }
    const overlay = join(work, 'sd.qcow2');
    let pow2 = 1 << 20;
    while (pow2 < seen.size) pow2 *= 2;
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', img, '-F', 'raw', overlay, String(pow2)]);
    // The mini UART is serial index 1 on raspi3b (the profile's serial mapping).
    const log = await bootAndRead(['qemu-system-aarch64', '-M', 'raspi3b', '-kernel', kernel, '-drive', `if=sd,format=qcow2,file=${overlay}`, '-serial', 'null'], ['-serial', 'stdio']);
    expect(log).toMatch(/BOARDKIT stage=payload board=rpi3b/);
    expect(log).toMatch(/BOARDKIT driver=uart status=ok/);
    expect(statSync(img).size).toBe(seen.size); // the user's image was not resized
  }, 400_000);
});

describe('images boot from their disk with no kernel given', () => {
  for (const c of CASES) {
    it.skipIf(!c.needs.every((f) => existsSync(f)))(`${c.board}${c.layout ? ` (${c.layout})` : ''}: the firmware finds the boot files on the image and the reference payload reports`, async () => {
      const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
      const pay = await buildBoardPayload(registry, { board: c.board, drivers: ['uart'], outDir: join(work, `payload-${c.board}-${c.layout ?? "default"}`) }, { spawner: new NodeSpawner() });
      const img = join(work, `${c.board}-${c.layout ?? 'default'}.img`);
      await buildImage(registry, { board: c.board, payload: (pay.efi ?? pay.bin)!.path, output: img, sourceDateEpoch: 1_700_000_000, ...(c.layout ? { layout: c.layout } : {}) });
      const log = await bootAndRead(c.qemu(img));
      for (const re of c.expectLog) expect(log).toMatch(re);
      expect(log).toMatch(new RegExp(`BOARDKIT stage=payload board=${c.board}`));
      expect(log).toMatch(/BOARDKIT driver=uart status=ok/);
    }, 400_000);
  }
});
