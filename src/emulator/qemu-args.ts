import { UsageError } from '../core/errors.js';
import type { QemuDriveSpec, QemuMachineSpec, QemuNetdevSpec } from './qemu-spec.js';

/** A console chardev as the runner will create it (the path/port is chosen before spawning). */
export type ConsoleChardev =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'pty' };

/** What `startQemu` decides at run time; everything the pure builder cannot know from the spec. */
export interface QemuRuntimeArgs {
  accel: 'kvm' | 'tcg';
  /** Start with the CPUs stopped (`-S`). */
  paused: boolean;
  /** `-qmp unix:PATH,server=on,wait=off`, or no QMP when undefined. */
  qmpSocket?: string;
  /** One per `'console'` slot of `spec.serial`, in order. */
  consoles: ConsoleChardev[];
  /** The file actually attached for drive i (a copy or an overlay), when it differs from the spec. */
  driveFiles?: Array<{ file: string; format: 'raw' | 'qcow2' } | undefined>;
  /** More `-machine` options for this run only (e.g. `dumpdtb=FILE`). */
  machineOptions?: string[];
}

/** QEMU option values escape a literal comma by doubling it (docs/system/invocation: "-drive"). */
export function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/**
 * spec + run-time decisions → argv for the QEMU binary. Pure. Always `-nodefaults` (without it q35
 * and aarch64 `virt` get a NIC on slirp that reaches the real network) and `-display none` (the
 * library never opens windows; screendump still works). Throws UsageError for slirp anywhere.
 */
export function buildQemuArgs(spec: QemuMachineSpec, runtime: QemuRuntimeArgs): string[] {
  assertNoSlirp(spec);
  const args: string[] = ['-nodefaults', '-display', 'none'];
  const machineOpts = [...(spec.machineOptions ?? []), ...(runtime.machineOptions ?? [])];
  args.push('-machine', [spec.machine, ...machineOpts].join(','));
  args.push('-accel', runtime.accel);
  if (spec.cpu) args.push('-cpu', spec.cpu);
  if (spec.memory) args.push('-m', spec.memory);
  if (spec.smp !== undefined) args.push('-smp', String(spec.smp));
  if (spec.bios) args.push('-bios', spec.bios);
  if (spec.kernel) args.push('-kernel', spec.kernel);
  if (spec.append !== undefined) args.push('-append', spec.append);
  if (spec.initrd) args.push('-initrd', spec.initrd);
  if (spec.dtb) args.push('-dtb', spec.dtb);
  (spec.drives ?? []).forEach((d, i) => args.push('-drive', driveValue(d, runtime.driveFiles?.[i])));
  for (const n of spec.netdevs ?? []) args.push('-netdev', netdevValue(n));
  for (const d of spec.devices ?? []) args.push('-device', d);

  const slots = spec.serial ?? ['console'];
  const consoleSlots = slots.filter((s) => s === 'console').length;
  if (consoleSlots !== runtime.consoles.length) {
    throw new UsageError(`spec has ${consoleSlots} console serial slot(s) but ${runtime.consoles.length} console chardev(s) were given`);
  }
  let c = 0;
  for (const slot of slots) {
    if (slot === 'null') {
      args.push('-serial', 'null');
      continue;
    }
    const chardev = runtime.consoles[c];
    const id = `con${c++}`;
    if (!chardev) throw new UsageError('internal: missing console chardev');
    args.push('-chardev', chardevValue(id, chardev), '-serial', `chardev:${id}`);
  }

  if (runtime.qmpSocket) args.push('-qmp', `unix:${escapeOptionValue(runtime.qmpSocket)},server=on,wait=off`);
  // The gdb stub listens on loopback only; -S keeps the CPU at its first instruction for it.
  if (spec.gdbPort !== undefined) args.push('-gdb', `tcp:127.0.0.1:${spec.gdbPort}`);
  if (runtime.paused || spec.gdbPort !== undefined) args.push('-S');
  args.push(...(spec.extraArgs ?? []));
  return args;
}

function driveValue(d: QemuDriveSpec, resolved?: { file: string; format: 'raw' | 'qcow2' }): string {
  const parts = [`if=${d.if}`, `format=${resolved?.format ?? d.format}`, `file=${escapeOptionValue(resolved?.file ?? d.file)}`];
  if (d.id) parts.push(`id=${d.id}`);
  if (d.index !== undefined) parts.push(`index=${d.index}`);
  if (d.readonly) parts.push('readonly=on');
  return parts.join(',');
}

function netdevValue(n: QemuNetdevSpec): string {
  switch (n.kind) {
    case 'dgram':
      return [
        `dgram,id=${n.id}`,
        `local.type=inet,local.host=${n.local.host},local.port=${n.local.port}`,
        `remote.type=inet,remote.host=${n.remote.host},remote.port=${n.remote.port}`,
      ].join(',');
    case 'tap':
      // script=no: boardkit configures the tap itself (or a test's namespace does); never run /etc/qemu-ifup.
      return `tap,id=${n.id},ifname=${n.ifname},script=no,downscript=no`;
    default: {
      const kind = (n as { kind?: unknown }).kind;
      throw new UsageError(`unsupported netdev kind '${String(kind)}'`, { hint: 'use dgram (loopback UDP) or tap' });
    }
  }
}

function chardevValue(id: string, c: ConsoleChardev): string {
  switch (c.kind) {
    case 'unix':
      return `socket,id=${id},path=${escapeOptionValue(c.path)},server=on,wait=off`;
    case 'tcp':
      return `socket,id=${id},host=${c.host},port=${c.port},server=on,wait=off`;
    case 'pty':
      return `pty,id=${id}`;
  }
}

const NET_OPTIONS = new Set(['-netdev', '--netdev', '-nic', '--nic', '-net', '--net']);

/**
 * Refuses a user-mode (slirp) network anywhere: typed netdevs cannot express one, so this checks
 * the free-form parts (`extraArgs`, `devices`). `-nic` without a type defaults to user mode, and
 * `-net nic` without `-net <backend>` is harmless but `-net user` is not: both are caught.
 */
export function assertNoSlirp(spec: QemuMachineSpec): void {
  const offenders: string[] = [];
  const extra = spec.extraArgs ?? [];
  for (let i = 0; i < extra.length; i++) {
    const flag = extra[i] ?? '';
    const [name, inline] = flag.includes('=') && flag.startsWith('-') ? splitOnce(flag, '=') : [flag, undefined];
    if (!NET_OPTIONS.has(name)) continue;
    const value = inline ?? extra[i + 1] ?? '';
    if (isUserNet(name, value)) offenders.push(`${name} ${value}`);
  }
  for (const n of spec.netdevs ?? []) {
    if ((n as { kind: string }).kind === 'user') offenders.push(`netdev ${n.id} kind=user`);
  }
  for (const d of spec.devices ?? []) {
    // A NIC device with no netdev= gets no backend under -nodefaults, but user-mode options
    // smuggled into a device line (e.g. hostfwd=) mean someone expected slirp.
    if (/(^|,)(hostfwd|guestfwd|restrict)=/.test(d)) offenders.push(`device ${d}`);
  }
  if (offenders.length > 0) {
    throw new UsageError(`user-mode (slirp) networking is not allowed: ${offenders.join('; ')}`, {
      hint: 'use a dgram netdev on loopback, or a tap device in a network namespace',
      details: { offenders },
    });
  }
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return [s.slice(0, i), s.slice(i + 1)];
}

function isUserNet(flag: string, value: string): boolean {
  const parts = value.split(',');
  const first = parts[0] ?? '';
  const type = parts.find((p) => p.startsWith('type='))?.slice(5);
  const backend = type ?? (first.includes('=') ? undefined : first);
  if (backend === 'user' || backend === 'slirp') return true;
  // -nic with no backend means "the default", which is user mode when QEMU has slirp.
  if ((flag === '-nic' || flag === '--nic') && backend === undefined) return true;
  return /(^|,)(hostfwd|guestfwd|restrict|smb|tftp|bootfile)=/.test(value);
}
