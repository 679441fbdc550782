/**
 * Test data: payload specs and QEMU command lines per emulated board. The lead moves these into
 * the board profiles (driver sets + emulation recipes); they are data here too, not branches.
 */
import type { PayloadBuildSpec } from '../../../src/payload/spec.js';

export const OPENSBI_FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';

export const QEMU_RISCV64_VIRT: PayloadBuildSpec = {
  board: 'qemu-riscv64-virt',
  arch: 'riscv64',
  format: 'elf+bin',
  loadAddress: 0x8020_0000,
  console: { type: 'ns16550a', base: 0x1000_0000, baud: 115200 },
  timerHz: 10_000_000,
  exit: 'sbi-srst',
  drivers: [
    { kind: 'uart', controller: 'ns16550a', base: 0x1000_0000 },
    // hw/riscv/virt.c: 8 virtio-mmio transports from 0x10001000, 0x1000 apart.
    { kind: 'storage', controller: 'virtio-blk', base: 0x1000_1000, slots: 8, stride: 0x1000 },
    { kind: 'ethernet', controller: 'virtio-net', base: 0x1000_1000, slots: 8, stride: 0x1000 },
  ],
};

export interface VirtRunArgs {
  kernel: string;
  disk?: string;
  dgram?: { localPort: number; remotePort: number };
  modernVirtio?: boolean;
  qmpSocket?: string;
}

function virtioDevices(o: VirtRunArgs): string[] {
  const a: string[] = [];
  if (o.modernVirtio) a.push('-global', 'virtio-mmio.force-legacy=false');
  if (o.disk) a.push('-drive', `file=${o.disk},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0');
  if (o.dgram)
    a.push(
      '-netdev',
      `dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${o.dgram.localPort},remote.type=inet,remote.host=127.0.0.1,remote.port=${o.dgram.remotePort}`,
      '-device',
      'virtio-net-device,netdev=n0,mac=52:54:00:12:34:56',
    );
  if (o.qmpSocket) a.push('-qmp', `unix:${o.qmpSocket},server=on,wait=off`);
  return a;
}

export function riscvVirtArgs(o: VirtRunArgs): string[] {
  return ['-M', 'virt', '-nodefaults', '-display', 'none', '-m', '128M', '-serial', 'stdio', '-bios', OPENSBI_FW_JUMP, '-kernel', o.kernel, ...virtioDevices(o)];
}

export const QEMU_AARCH64_VIRT: PayloadBuildSpec = {
  board: 'qemu-aarch64-virt',
  arch: 'aarch64',
  format: 'elf+bin',
  loadAddress: 0x4008_0000,
  console: { type: 'pl011', base: 0x0900_0000, baud: 115200 },
  exit: 'psci-hvc',
  // hw/arm/virt.c memmap: UART 0x09000000, fw_cfg 0x09020000, GPIO 0x09030000, 32 virtio-mmio
  // transports from 0x0a000000, 0x200 apart.
  drivers: [
    { kind: 'uart', controller: 'pl011', base: 0x0900_0000 },
    { kind: 'gpio', controller: 'pl061', base: 0x0903_0000, line: 3 },
    { kind: 'framebuffer', controller: 'ramfb', base: 0x0902_0000, width: 640, height: 480 },
    { kind: 'storage', controller: 'virtio-blk', base: 0x0a00_0000, slots: 32, stride: 0x200 },
    { kind: 'ethernet', controller: 'virtio-net', base: 0x0a00_0000, slots: 32, stride: 0x200 },
  ],
};

export function aarch64VirtArgs(o: VirtRunArgs): string[] {
  return ['-M', 'virt', '-cpu', 'cortex-a57', '-nodefaults', '-display', 'none', '-m', '128M', '-serial', 'stdio', '-kernel', o.kernel, '-device', 'ramfb', ...virtioDevices(o)];
}

/** BCM2837 peripherals at 0x3F000000 (ARM physical); bus 0x7E...... (BCM2835 ARM Peripherals §1.2.3). */
export const RPI3B: PayloadBuildSpec = {
  board: 'rpi3b',
  arch: 'aarch64',
  format: 'elf+bin',
  loadAddress: 0x8_0000,
  console: { type: 'bcm2835-aux', base: 0x3f21_5040, baud: 115200 },
  exit: 'none',
  drivers: [
    { kind: 'uart', controller: 'bcm2835-aux', base: 0x3f21_5040 },
    { kind: 'gpio', controller: 'bcm2835-gpio', base: 0x3f20_0000, sdRoute: 'sdhost' },
    { kind: 'framebuffer', controller: 'mailbox-fb', base: 0x3f00_b880, width: 640, height: 480 },
    // altBase: the SDHCI, which the run's GPIO route may select instead (storage/sd-route.c).
    { kind: 'storage', controller: 'sdhost', base: 0x3f20_2000, altBase: 0x3f30_0000 },
  ],
};

export const RPI3B_SDHCI = { kind: 'storage', controller: 'sdhci', base: 0x3f30_0000 } as const;

export interface PiRunArgs {
  kernel: string;
  sd?: string;
  qmpSocket?: string;
}

/** QEMU raspi3b: serial index 0 = PL011, index 1 = mini UART (the Pi 3 default console). */
export function raspi3bArgs(o: PiRunArgs): string[] {
  const a = ['-M', 'raspi3b', '-nodefaults', '-display', 'none', '-serial', 'null', '-serial', 'stdio', '-kernel', o.kernel];
  if (o.sd) a.push('-drive', `file=${o.sd},if=sd,format=raw`);
  if (o.qmpSocket) a.push('-qmp', `unix:${o.qmpSocket},server=on,wait=off`);
  return a;
}

/** HiFive Unleashed (FU540) as QEMU sifive_u models it; DTB timebase-frequency = 1 MHz. */
export const HIFIVE_UNLEASHED: PayloadBuildSpec = {
  board: 'hifive-unleashed',
  arch: 'riscv64',
  format: 'elf+bin',
  loadAddress: 0x8020_0000,
  timerHz: 1_000_000,
  console: { type: 'sifive', base: 0x1001_0000, baud: 115200 },
  exit: 'sbi-srst',
  drivers: [
    { kind: 'uart', controller: 'sifive', base: 0x1001_0000 },
    // GPIO 10 is the active-low gpio-restart line (QEMU sifive_u DTB; Unleashed schematic).
    { kind: 'gpio', controller: 'sifive-gpio', base: 0x1006_0000, line: 10 },
  ],
};

/** `serialFile`: QEMU 7.2's sifive_uart drops bytes on a blocking chardev, so use a file. */
export function sifiveUArgs(o: { kernel: string; qmpSocket?: string; serialFile: string }): string[] {
  const a = ['-M', 'sifive_u', '-nodefaults', '-display', 'none', '-serial', `file:${o.serialFile}`, '-bios', OPENSBI_FW_JUMP, '-kernel', o.kernel];
  if (o.qmpSocket) a.push('-qmp', `unix:${o.qmpSocket},server=on,wait=off`);
  return a;
}

export const X86_KIOSK: PayloadBuildSpec = {
  board: 'x86-kiosk',
  arch: 'x86_64',
  format: 'efi',
  loadAddress: 0,
  console: { type: 'pc-com', base: 0x3f8, baud: 115200 },
  exit: 'efi-reset',
  drivers: [
    { kind: 'uart', controller: 'pc-com', base: 0x3f8 },
    { kind: 'framebuffer', controller: 'gop', base: 0, width: 640, height: 480 },
  ],
};

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** q35 + OVMF; `esp` is a directory holding EFI/BOOT/BOOTX64.EFI; `vars` a writable VARS copy. */
export function q35OvmfArgs(o: { esp: string; vars: string; qmpSocket?: string }): string[] {
  const a = [
    '-M', 'q35', '-nodefaults', '-display', 'none', '-m', '256M', '-serial', 'stdio', '-device', 'VGA',
    '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
    '-drive', `if=pflash,format=raw,file=${o.vars}`,
    '-drive', `file=fat:rw:${o.esp},format=raw`,
  ];
  if (o.qmpSocket) a.push('-qmp', `unix:${o.qmpSocket},server=on,wait=off`);
  return a;
}
