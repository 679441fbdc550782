/**
 * The transfer loop re-arms its retransmit timer by moving a deadline instead of cancel+create per
 * ACK. These tests pin the firing times on a ManualClock: they must be exactly those of a fresh
 * timer per arm (RFC 1350 §2 retransmit on timeout; backoff reset on progress).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { encodeAck, encodeRequest } from '../../src/protocols/tftp/packet.js';
import { TftpServer } from '../../src/netboot/tftp-server.js';
import { LossyDatagramNetwork } from '../../src/transports/fake/lossy-datagram-network.js';
import type { DatagramAddress } from '../../src/transports/datagram-link.js';

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

async function setUp() {
  const clock = new ManualClock();
  /** [time, block] of every DATA the server sends. */
  const data: Array<[number, number]> = [];
  const net = new LossyDatagramNetwork({
    clock,
    latencyMs: 1,
    tap: (e) => {
      if (e.type === 'send' && u16(e.data, 0) === 3) data.push([clock.now(), u16(e.data, 2)]);
    },
  });
  const server = new TftpServer({
    network: net,
    clock,
    listen: { address: '10.0.0.1', port: 69 },
    generated: () => new Uint8Array(512 * 8),
    retransmitMs: 1000,
    maxRetransmitMs: 8000,
    maxRetries: 5,
  });
  await server.start();
  const client = await net.bind({ address: '10.0.0.2', port: 0 });
  let tid: DatagramAddress | undefined;
  client.onMessage((d) => (tid ??= d.from));
  await client.send(encodeRequest('RRQ', 'f', 'octet'), { address: '10.0.0.1', port: 69 });
  clock.advance(1);
  await new Promise((r) => setImmediate(r)); // the request is set up asynchronously
  clock.advance(5);
  expect(tid).toBeDefined();
  const ack = (block: number) => void client.send(encodeAck(block), tid!);
  return { clock, data, server, client, ack };
}

describe('TFTP transfer retransmit timer', () => {
  it('an ACK moves the deadline: the retransmit comes one interval after the new DATA, never at the old deadline', async () => {
    const { clock, data, server, client, ack } = await setUp();
    const [t1, b1] = data[0]!;
    expect(b1).toBe(1);
    clock.advance(500 - (clock.now() - t1));
    ack(1);
    clock.advance(5);
    const [t2, b2] = data[1]!;
    expect(b2).toBe(2);
    clock.advance(3000);
    // DATA 2 again after 1000 ms, then after 2000 ms more (backoff); nothing at t1 + 1000.
    expect(data.slice(2)).toEqual([
      [t2 + 1000, 2],
      [t2 + 3000, 2],
    ]);
    await client.close();
    await server.close();
  });

  it('progress after a backoff shortens the interval again: the longer pending timer is replaced', async () => {
    const { clock, data, server, client, ack } = await setUp();
    const [t1] = data[0]!;
    clock.advance(1000 - (clock.now() - t1)); // DATA 1 retransmitted at t1 + 1000; next wait 2000
    expect(data.map(([, b]) => b)).toEqual([1, 1]);
    clock.advance(300);
    ack(1);
    clock.advance(5);
    const [t2, b2] = data[2]!;
    expect(b2).toBe(2);
    clock.advance(1500);
    // Retries reset with the ACK: DATA 2 is retransmitted after 1000 ms, not at the old 2000 ms deadline.
    expect(data.slice(3)).toEqual([[t2 + 1000, 2]]);
    await client.close();
    await server.close();
  });
});
