import { createHash, randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type RunningQemu } from '../../src/emulator/qemu-runner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';
import { openRawConsole } from './raw-console.js';

const FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const UBOOT_RV = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin';
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const exists = (p: string) => access(p).then(() => true, () => false);
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
const spawner = new NodeSpawner();
const ready = (await exists(OVMF_CODE)) && (await exists(OVMF_VARS)) && (await spawner.which('qemu-system-x86_64')) !== undefined;

let base: string;
let vm: RunningQemu | undefined;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'bk-drives-test-'));
});
afterAll(async () => {
  await vm?.shutdown();
  await rm(base, { recursive: true, force: true });
});

describe.skipIf(!(await exists(FW_JUMP)) || !(await exists(UBOOT_RV)) || (await spawner.which('qemu-img')) === undefined)('power-of-two overlay', () => {
  it('the guest sees the next power of two; the user image is never resized or written', async () => {
    // 3 MiB + 512 B: not a power of two, as an SD card image often is not.
    const disk = join(base, 'user-disk.img');
    await writeFile(disk, randomBytes(3 * 2 ** 20 + 512));
    const before = await sha(disk);
    vm = await startQemu(
      {
        binary: 'qemu-system-riscv64',
        machine: 'virt',
        memory: '256M',
        bios: FW_JUMP,
        kernel: UBOOT_RV,
        drives: [{ file: disk, if: 'none', id: 'd0', format: 'raw', powerOfTwoOverlay: true }],
        devices: ['virtio-blk-device,drive=d0'],
      },
      { spawner, connectQmp: connectQmpSocket, accel: 'tcg', tmpDir: base, slot: { dir: join(base, 'slots') } },
    );
    const overlay = join(vm.workDir, 'drive0-overlay.qcow2');
    // Oracle 1: qemu-img's own view of the overlay.
    const info = JSON.parse((await spawner.run('qemu-img', ['info', '-U', '--output=json', overlay])).stdout.toString()) as Record<string, unknown>;
    expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': 4 * 2 ** 20, 'backing-filename': disk });
    // Oracle 2: the guest. U-Boot's distro boot scans virtio after its 2 s autoboot delay.
    const con = await openRawConsole(vm.consolePath);
    await vm.resume();
    await con.waitFor('(8192 x 512)', 15_000);
    con.close();
    const workDir = vm.workDir;
    await vm.shutdown();
    vm = undefined;
    expect(await exists(workDir)).toBe(false);
    expect((await stat(disk)).size).toBe(3 * 2 ** 20 + 512);
    expect(await sha(disk)).toBe(before);
  }, 30_000);
});

// OVMF under TCG is the slowest boot here (7 s idle, 15 s+ on a busy 2-core machine).
describe.skipIf(!ready)('OVMF VARS writable copy', () => {
  it('OVMF writes its variables into the copy; the packaged template is untouched', async () => {
    const before = await sha(OVMF_VARS);
    vm = await startQemu(
      {
        binary: 'qemu-system-x86_64',
        machine: 'q35',
        memory: '256M',
        serial: [],
        drives: [
          { file: OVMF_CODE, if: 'pflash', format: 'raw', readonly: true },
          { file: OVMF_VARS, if: 'pflash', format: 'raw', writableCopy: true },
        ],
      },
      { spawner, connectQmp: connectQmpSocket, accel: 'tcg', tmpDir: base, slot: { dir: join(base, 'slots') } },
    );
    const copy = join(vm.workDir, 'drive1-OVMF_VARS_4M.fd');
    expect(await sha(copy)).toBe(before);
    expect(vm.args.join(' ')).not.toContain(`file=${OVMF_VARS}`);
    await vm.resume();
    // The first variable write (boot options, memory-type info) is the evidence; poll for it.
    const deadline = Date.now() + 40_000;
    while ((await sha(copy)) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await sha(copy)).not.toBe(before);
    const workDir = vm.workDir;
    await vm.shutdown();
    vm = undefined;
    expect(await exists(workDir)).toBe(false);
    expect(await sha(OVMF_VARS)).toBe(before);
  }, 50_000);
});
