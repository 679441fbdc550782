/**
 * Integration: real U-Boot (qemu-riscv64_smode) on QEMU `virt` with a virtio-net NIC wired by
 * `-netdev dgram` to our userspace stack. U-Boot's own console is the oracle: it must report the
 * address our DHCP server leased, get answers to `ping`, and `tftpboot` (through src/netboot's
 * TFTP server on the same stack) a file whose CRC-32 U-Boot computes and we compare with zlib's.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildHandle } from '../../src/transports/spawner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { openQemuDgramFrameLink } from '../../src/transports/node/qemu-dgram-frame-link.js';
import { UserspaceStack, type ObservedUdp } from '../../src/transports/userspace-stack.js';
import { DhcpServer, type DhcpServerEvent } from '../../src/netboot/dhcp-server.js';
import { TftpServer, type TftpServerEvent } from '../../src/netboot/tftp-server.js';
import { staticFiles } from '../../src/netboot/generated-files.js';

const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const UBOOT = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin';
const spawner = new NodeSpawner();
const haveQemu = (await spawner.which('qemu-system-riscv64')) !== undefined && existsSync(OPENSBI) && existsSync(UBOOT);

// TEST-NET-1 (RFC 5737): never routed, and here it only exists on the in-process link.
const SERVER_IP = '192.0.2.1';
const GUEST_MAC = '52:54:00:12:34:56'; // QEMU's default NIC MAC
const PAYLOAD = randomBytes(300_000);
const BIG = randomBytes(2 * 1024 * 1024 + 17);

class Console {
  text = '';
  private cursor = 0;
  constructor(private readonly child: ChildHandle) {
    child.stdout!.on('data', (b: Buffer) => (this.text += b.toString('latin1')));
  }
  /** Waits for `pattern` after the cursor; moves the cursor past the match. */
  async expect(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.cursor);
      const m = pattern.exec(rest);
      if (m) {
        this.cursor += m.index + m[0].length;
        return m;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; console tail:\n${this.text.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async command(line: string, until: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    this.child.stdin!.write(`${line}\r`);
    return this.expect(until, timeoutMs);
  }
}

describe.skipIf(!haveQemu)('DHCP + userspace stack against real U-Boot on QEMU riscv64 virt (-netdev dgram)', () => {
  let qemu: ChildHandle | undefined;
  let stack: UserspaceStack;
  let dhcp: DhcpServer;
  let tftp: TftpServer | undefined;
  const tftpEvents: TftpServerEvent[] = [];
  let con: Console;
  const events: DhcpServerEvent[] = [];
  const udpSeen: ObservedUdp[] = [];

  beforeAll(async () => {
    const link = await openQemuDgramFrameLink();
    stack = new UserspaceStack({ link, mac: '02:00:00:00:00:01', ip: SERVER_IP, subnetMask: '255.255.255.0' });
    stack.onUdp((d) => udpSeen.push(d));
    dhcp = new DhcpServer({
      network: stack.network,
      mode: 'full',
      serverIp: SERVER_IP,
      subnetMask: '255.255.255.0',
      pool: { first: '192.0.2.100', last: '192.0.2.110' },
      leaseSeconds: 600,
      hosts: [{ mac: GUEST_MAC, bootfile: 'payload.bin' }],
      tftpOptions: true,
      onEvent: (e) => events.push(e),
    });
    await dhcp.start();
    tftp = new TftpServer({ network: stack.network, generated: staticFiles({ 'payload.bin': PAYLOAD, 'big.bin': BIG }), onEvent: (e) => tftpEvents.push(e) });
    await tftp.start();
    qemu = await spawner.spawn('qemu-system-riscv64', [
      '-M', 'virt', '-nodefaults', '-m', '256M', '-display', 'none', '-monitor', 'none',
      '-bios', OPENSBI, '-kernel', UBOOT,
      '-netdev', link.netdevArg('n0'), '-device', 'virtio-net-device,netdev=n0',
      '-serial', 'stdio',
    ]);
    con = new Console(qemu);
    await con.expect(/Hit any key to stop autoboot/, 60_000);
    qemu.stdin!.write(' ');
    await con.expect(/=> $/m, 10_000);
    await con.command('setenv autoload no', /=> $/m);
  }, 90_000);

  afterAll(async () => {
    if (qemu) {
      qemu.kill('SIGKILL');
      await qemu.exited;
    }
    await tftp?.close();
    await dhcp?.close();
    await stack?.close();
  });

  it('U-Boot gets its address from our DHCP server (DISCOVER/OFFER/REQUEST/ACK)', async () => {
    const m = await con.command('dhcp', /DHCP client bound to address ([\d.]+)/, 40_000);
    expect(m[1]).toBe('192.0.2.100');
    await con.expect(/=> $/m, 10_000);
    const env = await con.command('printenv ipaddr serverip bootfile netmask', /netmask=[\d.]+/);
    const shown = con.text.slice(0, con.text.lastIndexOf(env[0]) + env[0].length);
    expect(shown).toMatch(/ipaddr=192\.0\.2\.100/);
    expect(shown).toMatch(/serverip=192\.0\.2\.1\b/);
    expect(shown).toMatch(/bootfile=payload\.bin/);
    expect(shown).toMatch(/netmask=255\.255\.255\.0/);

    const received = events.filter((e) => e.type === 'received');
    expect(received.some((e) => e.type === 'received' && e.messageType === 'discover' && e.mac === GUEST_MAC && e.vendorClass === 'U-Boot')).toBe(true);
    expect(received.some((e) => e.type === 'received' && e.messageType === 'request')).toBe(true);
    const offer = events.find((e) => e.type === 'offer');
    const ack = events.find((e) => e.type === 'ack');
    expect(offer).toMatchObject({ mac: GUEST_MAC, yiaddr: '192.0.2.100', siaddr: SERVER_IP, bootfile: 'payload.bin', proxy: false });
    expect(ack).toMatchObject({ mac: GUEST_MAC, yiaddr: '192.0.2.100' });
    expect(dhcp.leases()).toEqual([expect.objectContaining({ mac: GUEST_MAC, ip: '192.0.2.100', state: 'bound' })]);
    // The raw DISCOVER was also visible to a UDP observer (broadcast from 0.0.0.0:68 to 255.255.255.255:67).
    expect(udpSeen.some((d) => d.broadcast && d.from.port === 68 && d.to.port === 67 && d.sourceMac === GUEST_MAC)).toBe(true);
  }, 60_000);

  it('U-Boot pings the stack (ARP + ICMP echo answered)', async () => {
    await con.expect(/=> $/m, 5_000).catch(() => undefined);
    const before = stack.stats.echoRepliesSent;
    await con.command(`ping ${SERVER_IP}`, /host 192\.0\.2\.1 is alive/, 20_000);
    expect(stack.stats.echoRepliesSent).toBeGreaterThan(before);
    expect(stack.stats.arpRepliesSent).toBeGreaterThan(0);
    await con.expect(/=> $/m, 5_000);
  }, 30_000);

  it('U-Boot tftpboots a file through the stack (TFTP server from src/netboot); its CRC-32 matches', async () => {
    const done = await con.command('tftpboot 0x84000000 payload.bin', /Bytes transferred = (\d+)/, 60_000);
    expect(Number(done[1])).toBe(PAYLOAD.length);
    await con.expect(/=> $/m, 10_000);
    const m = await con.command(`crc32 0x84000000 ${PAYLOAD.length.toString(16)}`, /==> ([0-9a-f]{8})/, 20_000);
    expect(m[1]).toBe(crc32(PAYLOAD).toString(16).padStart(8, '0'));
    const done2 = tftpEvents.find((e) => e.type === 'transfer-done');
    expect(done2).toMatchObject({ bytes: PAYLOAD.length, transfer: { client: { address: '192.0.2.100' }, blksize: 1468 } });
  }, 90_000);

  it('windowsize 16 (RFC 7440): bursts of 16 frames through the stack, 2 MiB intact', async () => {
    await con.expect(/=> $/m, 5_000).catch(() => undefined);
    await con.command('setenv tftpwindowsize 16', /=> $/m);
    const done = await con.command('tftpboot 0x84000000 big.bin', /Bytes transferred = (\d+)/, 60_000);
    expect(Number(done[1])).toBe(BIG.length);
    await con.expect(/=> $/m, 10_000);
    const m = await con.command(`crc32 0x84000000 ${BIG.length.toString(16)}`, /==> ([0-9a-f]{8})/, 20_000);
    expect(m[1]).toBe(crc32(BIG).toString(16).padStart(8, '0'));
    const ev = tftpEvents.find((e) => e.type === 'transfer-done' && e.transfer.file === 'big.bin');
    expect(ev).toMatchObject({ bytes: BIG.length, transfer: { windowsize: 16, blksize: 1468 } });
  }, 90_000);
});
