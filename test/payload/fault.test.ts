/**
 * Exception vectors: a driver pointed at an address nothing decodes takes a synchronous external
 * abort (aarch64) / load access fault (riscv64), and the payload prints the fault line naming
 * that address instead of hanging silently.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildPayload } from '../../src/payload/build-payload.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import { checkBootReport, parseBootReport } from '../../src/payload/report.js';
import type { PayloadBuildSpec } from '../../src/payload/spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { OVMF_CODE, OVMF_VARS, QEMU_AARCH64_VIRT, QEMU_RISCV64_VIRT, X86_KIOSK, aarch64VirtArgs, q35OvmfArgs, riscvVirtArgs } from './helpers/boards.js';
import { QemuSession } from './helpers/qemu-session.js';
import { qemuScratch } from './helpers/scratch.js';
import { stageEspDir } from '../../src/workflows/esp-dir.js';

const spawner = new NodeSpawner();
const UNMAPPED = 0x100_0000_0000;

const cases: Array<[string, string, PayloadBuildSpec, (kernel: string) => string[], string]> = [
  ['riscv64', 'qemu-system-riscv64', QEMU_RISCV64_VIRT, (kernel) => riscvVirtArgs({ kernel }), '0x5'], // scause 5: load access fault
  ['aarch64', 'qemu-system-aarch64', QEMU_AARCH64_VIRT, (kernel) => aarch64VirtArgs({ kernel }), '0x496000010'], // vector 4, ESR EC=0x25 DFSC=0x10
];

describe('payload fault vectors', () => {
  const scratch = qemuScratch('bk-payload-fault-');

  for (const [arch, qemu, base, args, cause] of cases) {
    it(`prints BOARDKIT fault with pc/addr/cause on ${arch}`, async ({ skip }) => {
      if (!(await spawner.which(qemu))) skip(`${qemu} is not installed`);
      const spec: PayloadBuildSpec = { ...base, board: `fault-${arch}`, drivers: [{ kind: 'storage', controller: 'virtio-blk', base: UNMAPPED }] };
      const built = await buildPayload(spec, { spawner, outDir: join(scratch.dir, arch) });
      const kernel = join(scratch.dir, `${arch}.elf`);
      const nonce = newNonce();
      await writeFile(kernel, patchConfigBlock(await readFile(built.elf!.path), { nonce }));
      const s = await QemuSession.start(spawner, qemu, args(kernel));
      scratch.sessions.push(s);
      try {
        await s.waitFor(/BOARDKIT fault [^\n]*\n/, 20_000);
      } finally {
        await s.stop();
      }
      const report = parseBootReport(s.output);
      expect(report.faults).toHaveLength(1);
      expect(report.faults[0]).toMatchObject({ addr: `0x${UNMAPPED.toString(16)}`, cause });
      const pc = BigInt(report.faults[0]!.pc);
      expect(pc >= BigInt(spec.loadAddress) && pc < BigInt(spec.loadAddress) + BigInt(built.bin!.size)).toBe(true);
      expect(report.result).toBeUndefined();
      expect(() => checkBootReport(report, spec, nonce)).toThrow(/faulted/);
    }, 60_000);
  }

  it('the faultProbe flag proves the UEFI exception handlers (x86_64 #GP on a non-canonical load)', async ({ skip }) => {
    if (!(await spawner.which('qemu-system-x86_64')) || !(await spawner.which('lld-link')) || !existsSync(OVMF_CODE)) skip('q35/OVMF or clang/lld missing');
    const built = await buildPayload(X86_KIOSK, { spawner, outDir: join(scratch.dir, 'x86') });
    const esp = join(scratch.dir, 'esp');
    const nonce = newNonce();
    await stageEspDir(esp, patchConfigBlock(await readFile(built.efi!.path), { nonce, faultProbe: true }));
    const vars = join(scratch.dir, 'vars.fd');
    await copyFile(OVMF_VARS, vars);
    const s = await QemuSession.start(spawner, 'qemu-system-x86_64', q35OvmfArgs({ esp, vars }));
    scratch.sessions.push(s);
    try {
      await s.waitFor(/BOARDKIT fault [^\n]*\n/, 90_000);
    } finally {
      await s.stop();
    }
    const report = parseBootReport(s.output);
    expect(report.info['fault-handlers']).toBe('32');
    expect(report.faults[0]?.cause).toBe('0xd'); // vector 13, error code 0
    expect(report.drivers).toHaveLength(0);
    expect(() => checkBootReport(report, X86_KIOSK, nonce)).toThrow(/faulted/);
  }, 120_000);

  it('the faultProbe flag also works on riscv64 (scause 5) without any driver', async ({ skip }) => {
    if (!(await spawner.which('qemu-system-riscv64'))) skip('qemu-system-riscv64 missing');
    const built = await buildPayload(QEMU_RISCV64_VIRT, { spawner, outDir: join(scratch.dir, 'rv-probe') });
    const kernel = join(scratch.dir, 'rv-probe.elf');
    await writeFile(kernel, patchConfigBlock(await readFile(built.elf!.path), { nonce: newNonce(), faultProbe: true }));
    const s = await QemuSession.start(spawner, 'qemu-system-riscv64', riscvVirtArgs({ kernel }));
    scratch.sessions.push(s);
    try {
      await s.waitFor(/BOARDKIT fault [^\n]*\n/, 20_000);
    } finally {
      await s.stop();
    }
    expect(parseBootReport(s.output).faults[0]).toMatchObject({ addr: '0x100000000000', cause: '0x5' });
  }, 60_000);
});
