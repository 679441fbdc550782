import { createHash, randomBytes } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type RunningQemu } from '../../src/emulator/qemu-runner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';
import { openRawConsole } from './raw-console.js';

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const exists = (p: string) => access(p).then(() => true, () => false);
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
const spawner = new NodeSpawner();
const ready = (await exists(OVMF_CODE)) && (await exists(OVMF_VARS)) && (await spawner.which('qemu-img')) !== undefined;

let base: string;
let vm: RunningQemu | undefined;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'bk-drives-test-'));
});
afterAll(async () => {
  await vm?.shutdown();
  await rm(base, { recursive: true, force: true });
});

describe.skipIf(!ready)('drive files: OVMF VARS copy and power-of-two overlay', () => {
  it('boots OVMF on q35 with a writable VARS copy and an overlaid disk; the user files are never written', async () => {
    // 3 MiB + 512 B: not a power of two, as an SD card image often is not.
    const disk = join(base, 'user-disk.img');
    await writeFile(disk, randomBytes(3 * 2 ** 20 + 512));
    const before = { disk: await sha(disk), vars: await sha(OVMF_VARS) };

    vm = await startQemu(
      {
        binary: 'qemu-system-x86_64',
        machine: 'q35',
        memory: '256M',
        drives: [
          { file: OVMF_CODE, if: 'pflash', format: 'raw', readonly: true },
          { file: OVMF_VARS, if: 'pflash', format: 'raw', writableCopy: true },
          { file: disk, if: 'virtio', format: 'raw', powerOfTwoOverlay: true },
        ],
      },
      { spawner, connectQmp: connectQmpSocket, accel: 'tcg', tmpDir: base, slot: { dir: join(base, 'slots') } },
    );
    const files = (await readdir(vm.workDir)).sort();
    expect(files).toEqual(expect.arrayContaining(['drive1-OVMF_VARS_4M.fd', 'drive2-overlay.qcow2']));
    const overlay = join(vm.workDir, 'drive2-overlay.qcow2');
    // Oracle: qemu-img's own view of the overlay.
    const info = JSON.parse((await spawner.run('qemu-img', ['info', '-U', '--output=json', overlay])).stdout.toString()) as Record<string, unknown>;
    expect(info['virtual-size']).toBe(4 * 2 ** 20);
    expect(info.format).toBe('qcow2');
    expect(info['backing-filename']).toBe(disk);
    expect(vm.args.join(' ')).not.toContain(`file=${OVMF_VARS}`);

    const con = await openRawConsole(vm.consolePath);
    await vm.resume();
    // OVMF's boot manager creates boot options and stores them in the VARS copy.
    await con.waitFor('BdsDxe', 20_000);
    con.close();
    const varsCopy = join(vm.workDir, 'drive1-OVMF_VARS_4M.fd');
    expect(await sha(varsCopy)).not.toBe(before.vars);
    const workDir = vm.workDir;
    await vm.shutdown();
    expect(await exists(workDir)).toBe(false);
    expect({ disk: await sha(disk), vars: await sha(OVMF_VARS) }).toEqual(before);
  }, 40_000);
});
