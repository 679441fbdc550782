/** The `poweroff` config flag ends the run through the spec's exit method (QEMU exits by itself). */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildPayload } from '../../src/payload/build-payload.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import type { PayloadBuildSpec } from '../../src/payload/spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { OVMF_CODE, OVMF_VARS, QEMU_AARCH64_VIRT, X86_KIOSK, aarch64VirtArgs, q35OvmfArgs } from './helpers/boards.js';
import { QemuSession } from './helpers/qemu-session.js';
import { qemuScratch } from './helpers/scratch.js';
import { stageEspDir } from '../../src/workflows/esp-dir.js';

const spawner = new NodeSpawner();
const missing = !(await spawner.which('qemu-system-aarch64')) || !(await spawner.which('aarch64-linux-gnu-gcc'));
const missingEfi = !(await spawner.which('qemu-system-x86_64')) || !(await spawner.which('lld-link')) || !existsSync(OVMF_CODE);

describe.skipIf(missing)('payload exit paths', () => {
  const scratch = qemuScratch('bk-payload-exit-');

  it.each([
    [true, true],
    [false, false],
  ])('aarch64 virt PSCI SYSTEM_OFF via hvc: poweroff flag %s → QEMU exits: %s', async (poweroff, exits) => {
    const spec: PayloadBuildSpec = { ...QEMU_AARCH64_VIRT, drivers: [QEMU_AARCH64_VIRT.drivers[0]!] };
    const built = await buildPayload(spec, { spawner, outDir: join(scratch.dir, String(poweroff)) });
    const kernel = join(scratch.dir, `${poweroff}.elf`);
    await writeFile(kernel, patchConfigBlock(await readFile(built.elf!.path), { nonce: newNonce(), poweroff }));
    const s = await QemuSession.start(spawner, 'qemu-system-aarch64', aarch64VirtArgs({ kernel }));
    scratch.sessions.push(s);
    try {
      await s.waitFor(/BOARDKIT result=pass/, 20_000);
      expect(await s.waitExit(3_000)).toBe(exits);
    } finally {
      await s.stop();
    }
  }, 40_000);

  it.skipIf(missingEfi)('x86_64 UEFI ResetSystem(EfiResetShutdown): QEMU exits after the report', async () => {
    const spec: PayloadBuildSpec = { ...X86_KIOSK, drivers: [X86_KIOSK.drivers[0]!] };
    const built = await buildPayload(spec, { spawner, outDir: join(scratch.dir, 'efi') });
    const esp = join(scratch.dir, 'esp');
    await stageEspDir(esp, patchConfigBlock(await readFile(built.efi!.path), { nonce: newNonce(), poweroff: true }));
    const vars = join(scratch.dir, 'vars.fd');
    await copyFile(OVMF_VARS, vars);
    const s = await QemuSession.start(spawner, 'qemu-system-x86_64', q35OvmfArgs({ esp, vars }));
    scratch.sessions.push(s);
    try {
      await s.waitFor(/BOARDKIT result=pass/, 90_000);
      expect(await s.waitExit(10_000)).toBe(true);
    } finally {
      await s.stop();
    }
  }, 120_000);
});
