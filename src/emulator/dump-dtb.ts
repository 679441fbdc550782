import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolFailedError } from '../core/errors.js';
import type { Spawner } from '../transports/spawner.js';
import { parseDts, type DtsNode } from './dts.js';
import { buildQemuArgs } from './qemu-args.js';
import type { QemuMachineSpec } from './qemu-spec.js';

export interface DumpedDtb {
  dtb: Uint8Array;
  /** `dtc -I dtb -O dts` output. */
  dts: string;
  root: DtsNode;
}

/**
 * The device tree QEMU generates for a machine (`-machine <m>,dumpdtb=FILE` makes QEMU write it
 * and exit before running any guest code), decompiled by `dtc`. Board-profile tests use it as an
 * independent oracle for peripheral addresses. Drives, netdevs and consoles are left out: they
 * do not change the generated tree on `virt`/`sifive_u` and would need files to exist.
 */
export async function dumpDtb(spec: QemuMachineSpec, options: { spawner: Spawner; signal?: AbortSignal }): Promise<DumpedDtb> {
  const dir = await mkdtemp(join(tmpdir(), 'boardkit-dtb-'));
  try {
    const file = join(dir, 'machine.dtb');
    const bare: QemuMachineSpec = {
      binary: spec.binary,
      machine: spec.machine,
      ...(spec.machineOptions ? { machineOptions: spec.machineOptions } : {}),
      ...(spec.cpu ? { cpu: spec.cpu } : {}),
      ...(spec.memory ? { memory: spec.memory } : {}),
      ...(spec.smp !== undefined ? { smp: spec.smp } : {}),
      ...(spec.devices ? { devices: spec.devices } : {}),
      serial: [],
    };
    const args = buildQemuArgs(bare, { accel: 'tcg', paused: true, consoles: [], machineOptions: [`dumpdtb=${file}`] });
    const q = await options.spawner.run(spec.binary, args, { timeoutMs: 20_000, ...(options.signal ? { signal: options.signal } : {}) });
    if (q.exitCode !== 0) throw new ToolFailedError(spec.binary, q.exitCode, q.stderr.toString());
    const dtb = new Uint8Array(await readFile(file));
    const d = await options.spawner.run('dtc', ['-q', '-I', 'dtb', '-O', 'dts', '-o', '-', file], { timeoutMs: 10_000 });
    if (d.exitCode !== 0) throw new ToolFailedError('dtc', d.exitCode, d.stderr.toString());
    const dts = d.stdout.toString('utf8');
    return { dtb, dts, root: parseDts(dts) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
