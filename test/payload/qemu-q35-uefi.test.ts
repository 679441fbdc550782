/**
 * (e) x86-kiosk on q35 + OVMF: the payload as BOOTX64.EFI on a FAT directory, COM1 console,
 * UEFI GOP framebuffer checked by QMP screendump against the nonce pattern.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildPayload } from '../../src/payload/build-payload.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import { checkFramebufferPattern } from '../../src/payload/fb-pattern.js';
import { checkBootReport, parseBootReport } from '../../src/payload/report.js';
import type { PayloadBuildSpec } from '../../src/payload/spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { OVMF_CODE, OVMF_VARS, X86_KIOSK, q35OvmfArgs } from './helpers/boards.js';
import { framebufferProven, takeScreendump } from './helpers/oracles.js';
import { connectQmp } from './helpers/qmp.js';
import { QemuSession } from './helpers/qemu-session.js';
import { qemuScratch } from './helpers/scratch.js';
import { stageEspDir } from '../../src/workflows/esp-dir.js';

const spawner = new NodeSpawner();
const QEMU = 'qemu-system-x86_64';
const missing = !(await spawner.which(QEMU)) || !(await spawner.which('clang')) || !(await spawner.which('lld-link')) || !existsSync(OVMF_CODE);

describe.skipIf(missing)('payload on q35 + OVMF (UEFI)', () => {
  const scratch = qemuScratch('bk-payload-efi-');

  async function boot(spec: PayloadBuildSpec, tag: string) {
    const built = await buildPayload(spec, { spawner, outDir: join(scratch.dir, tag) });
    const nonce = newNonce();
    const esp = join(scratch.dir, `${tag}-esp`);
    await stageEspDir(esp, patchConfigBlock(await readFile(built.efi!.path), { nonce }));
    const vars = join(scratch.dir, `${tag}-vars.fd`);
    await copyFile(OVMF_VARS, vars);
    const qmpSocket = join(scratch.dir, `${tag}.qmp`);
    const s = await QemuSession.start(spawner, QEMU, q35OvmfArgs({ esp, vars, qmpSocket }));
    scratch.sessions.push(s);
    let screen: Uint8Array | undefined;
    try {
      await s.waitFor(/BOARDKIT result=\w+[^\n]{0,200}\n/, 90_000); // OVMF under TCG: ~10 s to the payload
      const qmp = await connectQmp(qmpSocket);
      try {
        screen = await takeScreendump(qmp, join(scratch.dir, `${tag}.ppm`));
      } finally {
        qmp.close();
      }
    } finally {
      await s.stop();
    }
    return { report: parseBootReport(s.output), nonce, screen };
  }

  it('boots BOOTX64.EFI, reports on COM1 and draws this run’s pattern through GOP', async () => {
    const r = await boot(X86_KIOSK, 'real');
    checkBootReport(r.report, X86_KIOSK, r.nonce);
    expect(r.report.info['fault-handlers']).toBe('32');
    expect(checkFramebufferPattern(r.screen!, r.nonce, { width: 640, height: 480 }).matched).toBe(64);
  }, 120_000);

  it('catches a testOnlyFakeOk payload: the screen does not show the pattern', async () => {
    const r = await boot({ ...X86_KIOSK, testOnlyFakeOk: true }, 'fake');
    checkBootReport(r.report, X86_KIOSK, r.nonce);
    expect(framebufferProven(r.screen, r.nonce)).toBe(false);
  }, 120_000);
});
