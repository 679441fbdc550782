import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { FakeSerialLink } from '../../src/transports/fake/fake-serial-link.js';
import { openSerialPortLink } from '../../src/transports/node/serialport-link.js';
import { openTcpSerialLink } from '../../src/transports/node/tcp-serial-link.js';
import type { SerialLink, SerialLinkEvent } from '../../src/transports/serial-link.js';
import { hasSocat, startPtyPair, waitFor, type PtyPair } from './helpers/pty-pair.js';

/**
 * One contract, three implementations: the fake, serialport over a socat pty, and TCP to a local
 * server. The device side of each is driven by the test.
 */
interface Rig {
  link: SerialLink;
  /** The device sends bytes. */
  send(text: string): Promise<void>;
  /** What the device has received so far. */
  received(): string;
  /** The device disappears (adapter unplugged, QEMU gone) ... */
  drop(): Promise<void>;
  /** ... and comes back at the same address. */
  restore(): Promise<void>;
  dispose(): Promise<void>;
}

async function fakeRig(): Promise<Rig> {
  const link = new FakeSerialLink('fake');
  return {
    link,
    send: async (t) => link.feed(t),
    received: () => link.writtenText(),
    drop: async () => link.disconnect(),
    restore: async () => link.reconnect(5),
    dispose: async () => {},
  };
}

async function ptyRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'boardkit-contract-'));
  let pair: PtyPair = await startPtyPair(dir);
  let got = '';
  let device: SerialPort | undefined;
  const openDevice = async (): Promise<void> => {
    const port = new SerialPort({ path: pair.b, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    port.on('data', (d: Buffer) => (got += d.toString()));
    device = port;
  };
  await openDevice();
  const link = await openSerialPortLink(pair.a, { reconnect: { pollMs: 20 } });
  const closeDevice = async (): Promise<void> => {
    const d = device;
    device = undefined;
    if (d?.isOpen) await new Promise<void>((res) => d.close(() => res()));
  };
  return {
    link,
    send: (t) => new Promise<void>((res, rej) => device!.write(t, (e) => (e ? rej(e) : device!.drain(() => res())))),
    received: () => got,
    drop: async () => {
      await closeDevice();
      await pair.stop();
    },
    restore: async () => {
      pair = await startPtyPair(dir);
      await openDevice();
    },
    dispose: async () => {
      await closeDevice();
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function tcpRig(): Promise<Rig> {
  let got = '';
  let peer: Socket | undefined;
  let server: Server;
  let port = 0;
  const connected: Array<() => void> = [];
  const listen = (): Promise<void> =>
    new Promise<void>((res) => {
      server = createServer((s) => {
        peer = s;
        s.on('data', (d) => (got += d.toString()));
        s.on('error', () => {});
        connected.splice(0).forEach((f) => f());
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        res();
      });
    });
  await listen();
  const whenConnected = (): Promise<void> => (peer ? Promise.resolve() : new Promise<void>((r) => connected.push(r)));
  const link = await openTcpSerialLink('127.0.0.1', port, { reconnect: { pollMs: 20 } });
  await whenConnected();
  return {
    link,
    send: (t) => new Promise<void>((res) => peer!.write(t, () => res())),
    received: () => got,
    drop: async () => {
      peer?.destroy();
      peer = undefined;
      await new Promise<void>((r) => server.close(() => r()));
    },
    restore: async () => {
      await listen();
    },
    dispose: async () => {
      peer?.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const SOCAT = await hasSocat();
const rigs: Array<[string, () => Promise<Rig>, boolean]> = [
  ['fake', fakeRig, false],
  ['serialport over a socat pty', ptyRig, !SOCAT],
  ['tcp', tcpRig, false],
];

describe.each(rigs)('SerialLink contract: %s', (_name, makeRig, skip) => {
  it.skipIf(skip)('buffers until the reader is set, carries both directions, reconnects, and closes once', async () => {
    const rig = await makeRig();
    try {
      const { link } = rig;
      expect(link.state).toBe('open');
      await rig.send('early bytes\n');
      await new Promise((r) => setTimeout(r, 100));
      let data = '';
      const events: SerialLinkEvent['type'][] = [];
      link.setReader({ data: (c) => (data += Buffer.from(c).toString()), event: (e) => events.push(e.type) });
      expect(() => link.setReader({ data: () => {}, event: () => {} })).toThrow(/one reader/);
      await waitFor(() => data === 'early bytes\n', 3000, 'the early bytes');

      await link.write(new TextEncoder().encode('to device\r'));
      await waitFor(() => rig.received() === 'to device\r', 3000, 'the write to reach the device');

      await rig.drop();
      await waitFor(() => events.includes('lost'), 3000, 'lost');
      expect(link.state).toBe('reconnecting');
      await expect(link.write(new Uint8Array([0x41]))).rejects.toMatchObject({ code: 'E_SERIAL_DOWN' });
      await rig.restore();
      await waitFor(() => events.includes('reopened'), 5000, 'reopened');
      expect(link.state).toBe('open');
      await rig.send('after gap\n');
      await waitFor(() => data.endsWith('after gap\n'), 3000, 'data after the gap');

      await link.close();
      await link.close();
      expect(link.state).toBe('closed');
      expect(events.filter((e) => e === 'closed')).toHaveLength(1);
      expect(events).toEqual(['lost', 'reopened', 'closed']);
      await expect(link.write(new Uint8Array([0x41]))).rejects.toThrow();
    } finally {
      await rig.dispose();
    }
  });
});
