import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { buildQemuArgs, assertNoSlirp, type QemuRuntimeArgs } from '../../src/emulator/qemu-args.js';
import type { QemuMachineSpec } from '../../src/emulator/qemu-spec.js';

const rt = (over: Partial<QemuRuntimeArgs> = {}): QemuRuntimeArgs => ({
  accel: 'tcg',
  paused: true,
  qmpSocket: '/run/x/qmp.sock',
  consoles: [{ kind: 'unix', path: '/run/x/console0.sock' }],
  ...over,
});

/** The values following each occurrence of a flag. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('buildQemuArgs', () => {
  const virt: QemuMachineSpec = { binary: 'qemu-system-riscv64', machine: 'virt', bios: 'fw_jump.bin', kernel: 'u-boot.bin', memory: '256M' };

  it('always passes -nodefaults and -display none, even with an empty spec', () => {
    for (const spec of [virt, { binary: 'qemu-system-x86_64', machine: 'q35', serial: [] } as QemuMachineSpec]) {
      const args = buildQemuArgs(spec, rt({ consoles: spec.serial?.length === 0 ? [] : rt().consoles }));
      expect(args[0]).toBe('-nodefaults');
      expect(valuesOf(args, '-display')).toEqual(['none']);
    }
  });

  it('starts paused with a QMP socket and the console on a server socket', () => {
    const args = buildQemuArgs(virt, rt());
    expect(args).toContain('-S');
    expect(valuesOf(args, '-qmp')).toEqual(['unix:/run/x/qmp.sock,server=on,wait=off']);
    expect(valuesOf(args, '-chardev')).toEqual(['socket,id=con0,path=/run/x/console0.sock,server=on,wait=off']);
    expect(valuesOf(args, '-serial')).toEqual(['chardev:con0']);
    expect(valuesOf(args, '-machine')).toEqual(['virt']);
    expect(valuesOf(args, '-accel')).toEqual(['tcg']);
  });

  it('maps serial slots by index: raspi3b mini UART on index 1 → -serial null -serial <console>', () => {
    const spec: QemuMachineSpec = { binary: 'qemu-system-aarch64', machine: 'raspi3b', kernel: 'kernel8.img', serial: ['null', 'console'] };
    const args = buildQemuArgs(spec, rt({ consoles: [{ kind: 'pty' }] }));
    expect(valuesOf(args, '-serial')).toEqual(['null', 'chardev:con0']);
    expect(valuesOf(args, '-chardev')).toEqual(['pty,id=con0']);
    // the order of -serial options is what assigns indexes
    expect(args.indexOf('null')).toBeLessThan(args.indexOf('chardev:con0'));
  });

  it('rejects a console count mismatch', () => {
    expect(() => buildQemuArgs({ ...virt, serial: ['console', 'console'] }, rt())).toThrow(UsageError);
  });

  it('attaches the overlay / writable copy the runner made instead of the user file', () => {
    const spec: QemuMachineSpec = {
      binary: 'qemu-system-x86_64',
      machine: 'q35',
      drives: [
        { file: '/usr/share/OVMF/OVMF_CODE.fd', if: 'pflash', format: 'raw', readonly: true },
        { file: '/usr/share/OVMF/OVMF_VARS.fd', if: 'pflash', format: 'raw', writableCopy: true },
        { file: '/img/sd,card.img', if: 'sd', format: 'raw', powerOfTwoOverlay: true },
      ],
    };
    const args = buildQemuArgs(spec, rt({ driveFiles: [undefined, { file: '/run/x/drive1-OVMF_VARS.fd', format: 'raw' }, { file: '/run/x/drive2-overlay.qcow2', format: 'qcow2' }] }));
    expect(valuesOf(args, '-drive')).toEqual([
      'if=pflash,format=raw,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on',
      'if=pflash,format=raw,file=/run/x/drive1-OVMF_VARS.fd',
      'if=sd,format=qcow2,file=/run/x/drive2-overlay.qcow2',
    ]);
    // a comma in a path is escaped by doubling, so it cannot inject options
    const plain = buildQemuArgs({ ...spec, drives: [spec.drives![2]!] }, rt());
    expect(valuesOf(plain, '-drive')).toEqual(['if=sd,format=raw,file=/img/sd,,card.img']);
  });

  it('puts machine options, cpu, smp, dgram netdev and devices in place', () => {
    const spec: QemuMachineSpec = {
      binary: 'qemu-system-aarch64',
      machine: 'virt',
      machineOptions: ['acpi=off'],
      cpu: 'cortex-a57',
      smp: 2,
      netdevs: [{ id: 'n0', kind: 'dgram', local: { host: '127.0.0.1', port: 4001 }, remote: { host: '127.0.0.1', port: 4002 } }],
      devices: ['virtio-net-device,netdev=n0'],
    };
    const args = buildQemuArgs(spec, rt({ machineOptions: ['dumpdtb=/tmp/x.dtb'] }));
    expect(valuesOf(args, '-machine')).toEqual(['virt,acpi=off,dumpdtb=/tmp/x.dtb']);
    expect(valuesOf(args, '-cpu')).toEqual(['cortex-a57']);
    expect(valuesOf(args, '-smp')).toEqual(['2']);
    expect(valuesOf(args, '-netdev')).toEqual([
      'dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=4001,remote.type=inet,remote.host=127.0.0.1,remote.port=4002',
    ]);
    expect(valuesOf(args, '-device')).toEqual(['virtio-net-device,netdev=n0']);
  });

  it('opens a loopback gdb stub and stays paused for the debugger', () => {
    const args = buildQemuArgs({ ...virt, gdbPort: 1234 }, rt({ paused: false }));
    expect(valuesOf(args, '-gdb')).toEqual(['tcp:127.0.0.1:1234']);
    expect(args).toContain('-S');
  });
});

describe('slirp is refused everywhere', () => {
  const base: QemuMachineSpec = { binary: 'qemu-system-x86_64', machine: 'q35', serial: [] };
  const bad: string[][] = [
    ['-netdev', 'user,id=n0'],
    ['-netdev', 'type=user,id=n0'],
    ['-netdev=user,id=n0'],
    ['-nic', 'user'],
    ['-nic', 'model=e1000'], // -nic without a backend defaults to user mode
    ['-net', 'nic', '-net', 'user'],
    ['--netdev', 'user,id=n0,hostfwd=tcp::2222-:22'],
    ['-netdev', 'slirp,id=n0'],
  ];
  for (const extraArgs of bad) {
    it(`refuses ${extraArgs.join(' ')}`, () => {
      expect(() => buildQemuArgs({ ...base, extraArgs }, rt({ consoles: [] }))).toThrow(/slirp/);
    });
  }
  it('refuses a netdev of kind user smuggled past the type', () => {
    const spec = { ...base, netdevs: [{ id: 'n0', kind: 'user' }] } as unknown as QemuMachineSpec;
    expect(() => assertNoSlirp(spec)).toThrow(UsageError);
  });
  it('accepts tap, dgram and -nic none', () => {
    const spec: QemuMachineSpec = { ...base, netdevs: [{ id: 't0', kind: 'tap', ifname: 'bk0' }], extraArgs: ['-nic', 'none', '-netdev', 'dgram,id=n1,remote.type=inet,remote.host=127.0.0.1,remote.port=9'] };
    const args = buildQemuArgs(spec, rt({ consoles: [] }));
    expect(valuesOf(args, '-netdev')).toContain('tap,id=t0,ifname=bk0,script=no,downscript=no');
  });
});
