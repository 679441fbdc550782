/**
 * QemuDgramFrameLink without QEMU: a plain UDP socket on the guest port plays QEMU's side of
 * `-netdev dgram` (one frame per datagram), so framing, port filtering and the stack's ARP answer
 * are checked on real loopback sockets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { openQemuDgramFrameLink } from '../../src/transports/node/qemu-dgram-frame-link.js';
import { UserspaceStack } from '../../src/transports/userspace-stack.js';
import { decodeArp, encodeArp } from '../../src/protocols/net/arp.js';
import { decodeEthernet, encodeEthernet } from '../../src/protocols/net/ethernet.js';

const sockets: Socket[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of sockets.splice(0)) s.close();
});

async function udp(port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
  sockets.push(s);
  return s;
}

describe('QemuDgramFrameLink', () => {
  it('builds the -netdev argument and carries one frame per datagram both ways; foreign senders are ignored', async () => {
    const link = await openQemuDgramFrameLink();
    closers.push(() => link.close());
    expect(link.netdevArg('n0')).toBe(
      `dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${link.guestPort},remote.type=inet,remote.host=127.0.0.1,remote.port=${link.hostPort}`,
    );
    const qemu = await udp(link.guestPort);
    const stranger = await udp();
    const frames: Uint8Array[] = [];
    link.onFrame((f) => frames.push(f.slice()));
    const toGuest: Buffer[] = [];
    qemu.on('message', (m) => toGuest.push(m));

    stranger.send(Buffer.from('not from qemu'), link.hostPort, '127.0.0.1');
    qemu.send(Buffer.from([1, 2, 3, 4]), link.hostPort, '127.0.0.1');
    await link.send(Uint8Array.of(9, 8, 7));
    await new Promise((r) => setTimeout(r, 50));
    expect(frames.map((f) => [...f])).toEqual([[1, 2, 3, 4]]);
    expect(toGuest.map((b) => [...b])).toEqual([[9, 8, 7]]);
    await link.close();
    await expect(link.send(Uint8Array.of(1))).rejects.toThrow(/closed/);
  });

  it('a userspace stack on the link answers ARP from the "guest"', async () => {
    const link = await openQemuDgramFrameLink();
    const stack = new UserspaceStack({ link, mac: '02:00:00:00:00:01', ip: '10.0.2.2' });
    closers.push(() => stack.close());
    const qemu = await udp(link.guestPort);
    const reply = new Promise<Buffer>((r) => qemu.once('message', (m) => r(m)));
    const req = encodeEthernet({
      destination: 'ff:ff:ff:ff:ff:ff',
      source: '52:54:00:12:34:56',
      etherType: 0x0806,
      payload: encodeArp({ operation: 1, senderMac: '52:54:00:12:34:56', senderIp: '10.0.2.15', targetMac: '00:00:00:00:00:00', targetIp: '10.0.2.2' }),
    });
    qemu.send(req, link.hostPort, '127.0.0.1');
    const eth = decodeEthernet(new Uint8Array(await reply))!;
    expect(decodeArp(eth.payload)).toMatchObject({ operation: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.2.2', targetIp: '10.0.2.15' });
  });
});
