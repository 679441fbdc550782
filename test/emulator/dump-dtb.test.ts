import { describe, expect, it } from 'vitest';
import { dumpDtb } from '../../src/emulator/dump-dtb.js';
import { cellsOf, findNodes, nodeAtPath, readReg, stringsOf } from '../../src/emulator/dts.js';
import type { QemuMachineSpec } from '../../src/emulator/qemu-spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';

const spawner = new NodeSpawner();
const have = async (t: string) => (await spawner.which(t)) !== undefined;
const haveDtc = await have('dtc');
const haveBinary = new Map<string, boolean>();
for (const b of ['qemu-system-riscv64', 'qemu-system-aarch64']) haveBinary.set(b, await have(b));

const cases: Array<{ spec: QemuMachineSpec; node: string; compatible: string; address: bigint }> = [
  { spec: { binary: 'qemu-system-riscv64', machine: 'virt' }, node: 'serial@10000000', compatible: 'ns16550a', address: 0x10000000n },
  { spec: { binary: 'qemu-system-aarch64', machine: 'virt', cpu: 'cortex-a57', machineOptions: ['acpi=off'] }, node: 'pl011@9000000', compatible: 'arm,pl011', address: 0x9000000n },
  // sifive_u generates its tree without extra -smp here (QEMU 7.2: 1 E51 + 1 U54 by default).
  { spec: { binary: 'qemu-system-riscv64', machine: 'sifive_u' }, node: 'serial@10010000', compatible: 'sifive,uart0', address: 0x10010000n },
];

describe.skipIf(!haveDtc)('dumpDtb', () => {
  for (const c of cases) {
    it.skipIf(!haveBinary.get(c.spec.binary))(`${c.spec.binary} -M ${c.spec.machine}: ${c.node}`, async () => {
      const { dtb, dts, root } = await dumpDtb(c.spec, { spawner });
      // FDT magic 0xd00dfeed (Devicetree Specification v0.4 §5.2)
      expect(Buffer.from(dtb.subarray(0, 4)).readUInt32BE(0)).toBe(0xd00dfeed);
      expect(dts).toContain(c.node);
      const nodes = findNodes(root, c.node);
      expect(nodes).toHaveLength(1);
      const node = nodes[0]!;
      expect(readReg(node)[0]?.address).toBe(c.address);
      expect(readReg(node)[0]?.size).toBeGreaterThan(0n);
      expect(stringsOf(node, 'compatible')).toContain(c.compatible);
      // The chosen console points at the same node, by path.
      const stdout = stringsOf(nodeAtPath(root, '/chosen')!, 'stdout-path')?.[0];
      expect(stdout?.split(':')[0]).toBe(node.path);
      expect(cellsOf(root, '#address-cells')).toEqual([2n]);
    }, 30_000);
  }
});
