/**
 * What to start: a plain-data description of one QEMU machine. Board profiles are mapped to this
 * by `workflows/`; nothing here knows about boards. Paths are host paths; nothing is read until
 * `startQemu` runs.
 */

/** `-drive if=...` values this runner knows how to attach. */
export type QemuDriveInterface = 'sd' | 'virtio' | 'pflash' | 'none' | 'ide' | 'scsi' | 'mtd' | 'floppy';

export interface QemuDriveSpec {
  file: string;
  if: QemuDriveInterface;
  format: 'raw' | 'qcow2';
  readonly?: boolean;
  /** `id=` so a `-device ...,drive=<id>` line can refer to it (needed with `if: 'none'`). */
  id?: string;
  index?: number;
  /**
   * Attach a temporary writable copy instead of the file (e.g. OVMF's VARS store, which the
   * firmware writes on every boot). The copy is deleted on shutdown; the original is never written.
   */
  writableCopy?: boolean;
  /**
   * QEMU 7.2 refuses SD cards whose size is not a power of two ("Invalid SD card size"): attach a
   * temporary qcow2 overlay, sized to the next power of two, backed by this (raw) file. The user's
   * file is never resized and never written (guest writes land in the overlay, deleted on shutdown).
   */
  powerOfTwoOverlay?: boolean;
}

export interface InetAddress {
  host: string;
  port: number;
}

/**
 * Network backends. There is deliberately no `user` (slirp) kind: a slirp NIC reaches the real
 * network through NAT; boardkit only talks to loopback or namespaces it owns.
 */
export type QemuNetdevSpec =
  /** Every guest frame is one UDP datagram to `remote`; datagrams to `local` enter the guest. */
  | { id: string; kind: 'dgram'; local: InetAddress; remote: InetAddress }
  /** A tap device that already exists (e.g. inside a test's network namespace). */
  | { id: string; kind: 'tap'; ifname: string };

/** Per serial index: the console the caller reads, or a sink (e.g. `raspi3b`'s unused PL011 at index 0). */
export type QemuSerialSlot = 'console' | 'null';

export interface QemuMachineSpec {
  /** E.g. `qemu-system-riscv64`; run through the injected Spawner. */
  binary: string;
  /** `-machine` type, e.g. `virt`, `sifive_u`, `raspi3b`, `q35`. */
  machine: string;
  /** Appended to `-machine`, e.g. `['acpi=off']`. */
  machineOptions?: string[];
  cpu?: string;
  /** `-m`, e.g. `512M`. */
  memory?: string;
  smp?: number;
  /** Firmware path, or `none`. */
  bios?: string;
  kernel?: string;
  append?: string;
  initrd?: string;
  dtb?: string;
  drives?: QemuDriveSpec[];
  /** Whole `-device` values, e.g. `virtio-net-device,netdev=n0`, `ramfb`, `VGA`. */
  devices?: string[];
  netdevs?: QemuNetdevSpec[];
  /** Index i → `-serial` i. Default `['console']`. */
  serial?: QemuSerialSlot[];
  /**
   * Open a gdb stub on 127.0.0.1:PORT. The machine then stays paused at its first instruction
   * until the debugger continues it (`resume()` does not run it).
   */
  gdbPort?: number;
  /** Passed through last; checked like everything else (no slirp, no default devices). */
  extraArgs?: string[];
}

/** How the caller wants to reach each console. */
export type ConsoleTransportKind = 'unix' | 'tcp' | 'pty';

/** Where a console can be opened, as QEMU reports it. */
export type ConsoleEndpoint =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'pty'; path: string };
