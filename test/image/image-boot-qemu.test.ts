/**
 * The `uboot-distro` image boots: QEMU `virt` (riscv64) with OpenSBI and U-Boot, the image as a
 * virtio disk and no kernel given. U-Boot's own distro boot must find boot.scr on the disk, run it,
 * load the payload image and verify its CRC, and the reference payload must then print its report.
 * (The runner's `run --image` is not wired for this board yet; this drives QEMU directly.)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { knownArtifactIds } from '../../src/workflows/firmware-ids.js';
import { buildImage } from '../../src/workflows/image-build.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { ROOT } from '../helpers/node-env.js';

const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const UBOOT = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin';
const work = mkdtempSync(join(tmpdir(), 'bk-image-boot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const have = existsSync(OPENSBI) && existsSync(UBOOT);

describe.skipIf(!have)('uboot-distro image boots through U-Boot distro boot from a virtio disk', () => {
  it('qemu-riscv64-virt: U-Boot finds boot.scr, verifies the payload image, and the reference payload reports', async () => {
    const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
    const pay = await buildBoardPayload(registry, { board: 'qemu-riscv64-virt', drivers: ['uart'], outDir: join(work, 'payload') }, { spawner: new NodeSpawner() });
    const img = join(work, 'boot.img');
    await buildImage(registry, { board: 'qemu-riscv64-virt', payload: pay.bin!.path, output: img, sourceDateEpoch: 1_700_000_000 });

    const qemu = spawn('qemu-system-riscv64', ['-M', 'virt', '-m', '512M', '-nodefaults', '-nographic', '-serial', 'stdio', '-monitor', 'none', '-bios', OPENSBI, '-kernel', UBOOT, '-drive', `file=${img},format=raw,if=none,id=d0,readonly=on`, '-device', 'virtio-blk-device,drive=d0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => qemu.on('exit', () => r()));
    let log = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no payload report within 150 s; console:\n${log.slice(-3000)}`)), 150_000);
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
    expect(log).toMatch(/Scanning virtio 0:1\.\.\./);
    expect(log).toContain('Found U-Boot script /boot.scr');
    expect(log).toContain('boardkit: distro boot script');
    expect(log).toMatch(/Image Name:\s+boardkit payload/);
    expect(log).toMatch(/Verifying Checksum \.\.\. OK/);
    expect(log).toMatch(/BOARDKIT stage=payload board=qemu-riscv64-virt/);
    expect(log).toMatch(/BOARDKIT driver=uart status=ok/);
  }, 300_000);
});
