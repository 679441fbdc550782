import { emulationMode } from '../boards/plan.js';
import type { BoardProfile, DriverKind, EmulationMode } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
// The recipe lookup and its error live with the rest of a board's plan.
export { EmulationUnavailableError, emulationMode, markersForMode } from '../boards/plan.js';
import type { QemuDriveSpec, QemuMachineSpec, QemuNetdevSpec, QemuSerialSlot } from './qemu-spec.js';

/** What a run brings besides the profile. */
export interface MachineInputs {
  mode: EmulationMode;
  /** Absolute path of an artefact id (from the artefact cache). */
  artifactPath: (id: string) => string;
  /** The user's kernel/payload, for modes whose kernel is `@payload`. */
  payload?: string;
  /** A disk image for the mode's drive (sd / virtio-blk). */
  image?: string;
  /** A directory presented as a FAT disk (mode drive `fat-dir`, e.g. an ESP tree for OVMF). */
  fatDir?: string;
  /** Driver sets to enable; their controllers' `qemuDevice`s are added. Default: none. */
  drivers?: readonly DriverKind[];
  /** A network backend for the ethernet controller (dgram link or a tap). */
  netdev?: QemuNetdevSpec;
  gdbPort?: number;
}

/**
 * Profile + mode + inputs → the QEMU machine to start. Pure: every quirk is applied from the
 * profile's data (machine options per mode, serial index map, SD power-of-two overlay, writable
 * firmware-variable copy); nothing here knows board names.
 */
export function machineFromProfile(profile: BoardProfile, inputs: MachineInputs): QemuMachineSpec {
  const mode = emulationMode(profile, inputs.mode);
  const emu = profile.emulation!;
  const quirks = emu.quirks;
  const pathOf = (ref: string | undefined): string | undefined => {
    if (ref === undefined || ref === 'none') return ref;
    if (ref === '@payload') {
      if (!inputs.payload) throw new UsageError(`mode '${inputs.mode}' of '${profile.id}' boots your payload: pass --kernel FILE`);
      return inputs.payload;
    }
    return inputs.artifactPath(ref);
  };

  const machineOptions = [
    ...(mode.machineOptions ?? []),
    ...quirks.flatMap((q) => (q.kind === 'machine-option' && q.modes.includes(inputs.mode) ? [q.option] : [])),
  ];

  const maxIndex = Math.max(...emu.serial.map((s) => s.index));
  const serial: QemuSerialSlot[] = Array.from({ length: maxIndex + 1 }, (_, i) =>
    emu.serial.some((s) => s.index === i && s.uart === profile.console.uart) ? 'console' : 'null',
  );
  // Trailing null slots add nothing.
  while (serial.length > 1 && serial[serial.length - 1] === 'null') serial.pop();

  const drives: QemuDriveSpec[] = [];
  for (const id of mode.pflash ?? []) drives.push({ file: inputs.artifactPath(id), if: 'pflash', format: 'raw', readonly: true });
  for (const q of quirks) {
    if (q.kind === 'writable-vars-copy' && mode.pflash?.length) drives.push({ file: inputs.artifactPath(q.artifact), if: 'pflash', format: 'raw', writableCopy: true });
  }

  const devices: string[] = [];
  const wanted = new Set(inputs.drivers ?? []);
  const qemuDevicesOf = (kind: DriverKind) => (wanted.has(kind) ? (profile.drivers[kind].controllers ?? []).flatMap((c) => (c.qemuDevice ? [c.qemuDevice] : [])) : []);

  switch (mode.drive) {
    case 'none':
      break;
    case 'sd':
      if (inputs.image) {
        const powerOfTwo = quirks.some((q) => q.kind === 'sd-power-of-two');
        drives.push({ file: inputs.image, if: 'sd', format: 'raw', powerOfTwoOverlay: powerOfTwo });
      }
      break;
    case 'virtio-blk':
      if (inputs.image) {
        drives.push({ file: inputs.image, if: 'none', format: 'raw', id: 'disk0' });
        const dev = qemuDevicesOf('storage')[0] ?? (profile.drivers.storage.controllers ?? []).find((c) => c.qemuDevice)?.qemuDevice;
        if (!dev) throw new UsageError(`board '${profile.id}' names no QEMU device for its storage controller`);
        devices.push(`${dev},drive=disk0`);
      }
      break;
    case 'fat-dir':
      if (inputs.fatDir) drives.push({ file: `fat:rw:${inputs.fatDir}`, if: 'ide', format: 'raw' });
      break;
    case 'ahci':
      if (inputs.image) drives.push({ file: inputs.image, if: 'ide', format: 'raw' });
      break;
  }

  for (const dev of qemuDevicesOf('framebuffer')) devices.push(dev);
  const netdevs: QemuNetdevSpec[] = [];
  if (inputs.netdev) {
    netdevs.push(inputs.netdev);
    const dev = mode.nic ?? (profile.drivers.ethernet.controllers ?? []).find((c) => c.qemuDevice)?.qemuDevice;
    if (!dev) throw new UsageError(`board '${profile.id}' has no emulated Ethernet controller to attach a network to`, { hint: `give emulation.modes.${inputs.mode}.nic a QEMU NIC device` });
    devices.push(`${dev},netdev=${inputs.netdev.id}`);
  }

  const spec: QemuMachineSpec = {
    binary: emu.qemu.binary,
    machine: emu.qemu.machine,
    machineOptions,
    memory: emu.qemu.memory,
    serial,
    drives,
    devices,
    netdevs,
  };
  if (emu.qemu.cpu) spec.cpu = emu.qemu.cpu;
  if (emu.qemu.smp !== undefined) spec.smp = emu.qemu.smp;
  const bios = pathOf(mode.bios);
  if (bios) spec.bios = bios;
  const kernel = pathOf(mode.kernel);
  if (kernel) spec.kernel = kernel;
  if (inputs.gdbPort !== undefined) spec.gdbPort = inputs.gdbPort;
  return spec;
}
