/**
 * Per-client boot rules in the DHCP engine, on bytes: a listed client (`hosts[].rule`, from
 * `--clients MAC=board`) is answered with its own board's rule whatever the default rules say, and
 * in proxy mode the address a client's REQUEST names ties later TFTP requests to its MAC.
 */
import { describe, expect, it } from 'vitest';
import { ClientArch, type BootRule } from '../../src/protocols/dhcp/boot-rules.js';
import { decodeDhcp, encodeDhcp, type DhcpMessage } from '../../src/protocols/dhcp/codec.js';
import { Opt } from '../../src/protocols/dhcp/constants.js';
import { DhcpEngine } from '../../src/protocols/dhcp/engine.js';
import { parseMac } from '../../src/protocols/net/address.js';

const enc = (s: string) => new TextEncoder().encode(s);
const ip = (s: string) => Uint8Array.from(s.split('.').map(Number));
const PI = 'dc:a6:32:01:36:c2';
const PC = '52:54:00:00:00:07';
const UBOOT = '52:54:00:00:00:10';

function request(mac: string, type: number, options: Array<[number, Uint8Array]>): Uint8Array {
  const chaddr = new Uint8Array(16);
  chaddr.set(parseMac(mac));
  return encodeDhcp({ op: 1, xid: 0x1234, chaddr, flags: 0x8000, options: [[Opt.MESSAGE_TYPE, Uint8Array.of(type)], ...options] });
}
const discover = {
  uboot: (mac: string) => request(mac, 1, [[Opt.VENDOR_CLASS, enc('U-Boot')]]),
  pi4: (mac: string) => request(mac, 1, [[Opt.VENDOR_CLASS, enc('PXEClient:Arch:00000:UNDI:002001')], [Opt.CLIENT_ARCH, Uint8Array.of(0, 0)]]),
  uefi: (mac: string) => request(mac, 1, [[Opt.VENDOR_CLASS, enc('PXEClient:Arch:00007:UNDI:003016')], [Opt.CLIENT_ARCH, Uint8Array.of(0, 7)]]),
};

/** The board rules as board-boot-files.ts derives them from the profiles' netboot facts. */
const rules: Record<string, BootRule> = {
  'qemu-riscv64-virt': { name: 'qemu-riscv64-virt', vendorClass: 'U-Boot*', bootfile: 'boot.scr.uimg' },
  rpi4b: { name: 'rpi4b', vendorClass: 'PXEClient*', raspberryPiBoot: true, bootfile: 'start4.elf' },
  'x86-kiosk': { name: 'x86-kiosk', vendorClass: 'PXEClient*', arch: [ClientArch.X64_UEFI], bootfile: 'bootx64.efi' },
};

function engine(mode: 'full' | 'proxy') {
  return new DhcpEngine({
    mode,
    serverIp: '192.0.2.1',
    ...(mode === 'full' ? { subnetMask: '255.255.255.0', pool: { first: '192.0.2.100', last: '192.0.2.120' } } : {}),
    bootRules: [rules['qemu-riscv64-virt']!],
    defaultBootfile: 'boot.scr.uimg',
    hosts: [
      { mac: PI, bootfile: 'start4.elf', rule: rules.rpi4b! },
      { mac: PC, bootfile: 'bootx64.efi', rule: rules['x86-kiosk']! },
    ],
  });
}

function offer(e: DhcpEngine, data: Uint8Array): DhcpMessage {
  const out = e.handle(data, 1000);
  expect(out.replies, JSON.stringify(out.events)).toHaveLength(1);
  const d = decodeDhcp(out.replies[0]!.data);
  if (!d.ok) throw new Error(d.reason);
  return d.message;
}

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);
const PI_43 = '060103' + '0a0400' + Buffer.from('PXE').toString('hex') + '09170000' + '14' + Buffer.from('Raspberry Pi Boot   ').toString('hex') + 'ff';

describe('per-client boot rules (--clients MAC=board)', () => {
  for (const mode of ['full', 'proxy'] as const) {
    it(`${mode}: the U-Boot default, the Pi 4 and the UEFI PC each get their own board's option 43 and boot file`, () => {
      const e = engine(mode);
      const u = offer(e, discover.uboot(UBOOT));
      expect(u.file).toBe('boot.scr.uimg');
      expect(u.options.get(Opt.VENDOR_SPECIFIC)).toBeUndefined();
      const p = offer(e, discover.pi4(PI));
      expect(p.file).toBe('start4.elf');
      expect(hex(p.options.get(Opt.VENDOR_SPECIFIC))).toBe(PI_43);
      expect(Buffer.from(p.options.get(Opt.VENDOR_CLASS)!).toString()).toBe('PXEClient');
      const c = offer(e, discover.uefi(PC));
      expect(c.file).toBe('bootx64.efi');
      expect(hex(c.options.get(Opt.VENDOR_SPECIFIC))).toBe('060108ff');
      // The same Pi DISCOVER from an unlisted MAC is not a Pi here: the default rules apply.
      const other = offer(e, discover.pi4('dc:a6:32:99:99:99'));
      expect(other.file).toBe('boot.scr.uimg');
      expect(hex(other.options.get(Opt.VENDOR_SPECIFIC))).toBe('060108ff');
    });
  }

  it('proxy: a REQUEST to another server tells which MAC holds the address; bounded', () => {
    const e = engine('proxy');
    expect(e.macOf('192.0.2.52', 0)).toBeUndefined();
    e.handle(request(PI, 3, [[Opt.VENDOR_CLASS, enc('PXEClient:Arch:00000:UNDI:002001')], [Opt.REQUESTED_IP, ip('192.0.2.52')], [Opt.SERVER_ID, ip('192.0.2.2')]]), 0);
    expect(e.macOf('192.0.2.52', 0)).toBe(PI);
    // A later REQUEST for the same address from another MAC wins (the address moved).
    e.handle(request(PC, 3, [[Opt.VENDOR_CLASS, enc('PXEClient')], [Opt.REQUESTED_IP, ip('192.0.2.52')], [Opt.SERVER_ID, ip('192.0.2.2')]]), 0);
    expect(e.macOf('192.0.2.52', 0)).toBe(PC);
    for (let i = 0; i < 5000; i++) {
      const mac = `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      e.handle(request(mac, 3, [[Opt.REQUESTED_IP, ip(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)], [Opt.SERVER_ID, ip('192.0.2.2')]]), 0);
    }
    expect(e.macOf('192.0.2.52', 0), 'the oldest observation was dropped (at most 4096 kept)').toBeUndefined();
    expect(e.macOf('10.0.19.135', 0)).toBe('02:00:00:00:13:87');
  });

  it('full: the MAC behind an address is our lease', () => {
    const e = engine('full');
    const o = offer(e, discover.pi4(PI));
    expect(e.macOf(o.yiaddr, 2000)).toBe(PI);
  });
});
