import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import { DRIVER_KINDS } from '../../src/boards/schema.js';
import { parseSize } from '../../src/core/units.js';
import { dumpDtb } from '../../src/emulator/dump-dtb.js';
import { readReg, stringsOf, type DtsNode } from '../../src/emulator/dts.js';
import { machineFromProfile } from '../../src/emulator/profile-machine.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';

/**
 * QEMU's own device tree is the independent oracle for the emulated boards' addresses: dump it
 * (`-M <machine>,dumpdtb=F`, decoded with dtc) and check the profile's UART, GPIO, virtio, fw_cfg
 * and RAM against it.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const spawner = new NodeSpawner();

function allNodes(root: DtsNode): DtsNode[] {
  return [root, ...root.children.flatMap(allNodes)];
}

function nodesAt(root: DtsNode, address: number): DtsNode[] {
  return allNodes(root).filter((n) => {
    try {
      return readReg(n).some((r) => r.address === BigInt(address));
    } catch {
      return false;
    }
  });
}

describe.each(['qemu-riscv64-virt', 'qemu-aarch64-virt', 'hifive-unleashed'])('%s against QEMU dumpdtb', (id) => {
  it('console UART, driver controllers and RAM are where QEMU puts them', async () => {
    const registry = await loadBoards([join(ROOT, 'boards')]);
    const profile = registry.get(id).profile;
    const spec = machineFromProfile(profile, { mode: 'kernel', artifactPath: (a) => a, payload: 'payload.elf' });
    const { root } = await dumpDtb(spec, { spawner });

    const uart = nodesAt(root, profile.console.base);
    expect(uart.length, `no device tree node at the console base 0x${profile.console.base.toString(16)}`).toBeGreaterThan(0);
    const consoleCtl = profile.drivers.uart.controllers!.find((c) => c.name === profile.console.uart)!;
    expect(uart.flatMap((n) => stringsOf(n, 'compatible') ?? [])).toContain(consoleCtl.compatible);

    let checked = 0;
    for (const kind of DRIVER_KINDS) {
      for (const c of profile.drivers[kind].controllers ?? []) {
        if (c.io !== 'mmio' || c.base === undefined) continue;
        const nodes = nodesAt(root, c.base);
        expect(nodes.length, `${kind} controller ${c.name}: no node at 0x${c.base.toString(16)}`).toBeGreaterThan(0);
        expect(nodes.flatMap((n) => stringsOf(n, 'compatible') ?? []), `${kind} controller ${c.name} compatible`).toContain(c.compatible);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);

    const memory = allNodes(root).filter((n) => stringsOf(n, 'device_type')?.includes('memory'));
    const regs = memory.flatMap((n) => readReg(n));
    expect(regs.map((r) => r.address)).toContain(BigInt(profile.memory.ram.base));
    if (profile.id.startsWith('qemu-')) {
      // For the generic machines the profile's RAM is exactly what the recipe asks QEMU for.
      expect(regs.find((r) => r.address === BigInt(profile.memory.ram.base))!.size).toBe(BigInt(parseSize(profile.emulation!.qemu.memory)));
    }
  }, 60_000);
});
