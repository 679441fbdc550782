/**
 * Fault tests: the server on the seeded lossy fake network with a ManualClock, against an
 * in-process client written here from RFC 1350/2347/7440 (independent of src/protocols/tftp).
 * 200 transfers at 10% loss, 10% duplication and 10% reordering must all arrive byte-identical,
 * and no DATA may ever be sent while the server handles a duplicate ACK (RFC 1123 §4.2.3.1).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock, type TimerHandle } from '../../src/core/clock.js';
import { TftpServer, type TftpServerEvent } from '../../src/netboot/tftp-server.js';
import { LossyDatagramNetwork, seededRandom, type NetworkTapEvent } from '../../src/transports/fake/lossy-datagram-network.js';
import type { DatagramAddress, DatagramLink } from '../../src/transports/datagram-link.js';

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Deterministic content for a generated file name `f<size>-<n>`. */
function content(name: string): Uint8Array | undefined {
  const m = /^f(\d+)-(\d+)$/.exec(name);
  if (!m) return undefined;
  const rnd = seededRandom(Number(m[2]) + 7);
  const out = new Uint8Array(Number(m[1]));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

function rrq(name: string, opts: Array<[string, string]>): Uint8Array {
  const parts = [name, 'octet', ...opts.flat()];
  const enc = new TextEncoder();
  const bytes = [0, 1];
  for (const p of parts) bytes.push(...enc.encode(p), 0);
  return Uint8Array.from(bytes);
}

interface ClientResult {
  done: boolean;
  data: Uint8Array;
  error?: string;
}

/** A windowed TFTP reader: ACKs every W-th block and the last; ACKs the last in-order block on any surprise. */
async function startClient(
  net: LossyDatagramNetwork,
  clock: ManualClock,
  server: DatagramAddress,
  name: string,
  blksize: number | undefined,
  windowsize: number,
): Promise<{ result: ClientResult; link: DatagramLink }> {
  const link = await net.bind({ address: '10.0.0.2', port: 0 });
  const opts: Array<[string, string]> = [];
  if (blksize) opts.push(['blksize', String(blksize)]);
  if (windowsize > 1) opts.push(['windowsize', String(windowsize)]);
  opts.push(['tsize', '0']);
  let bs = 512;
  let ws = 1;
  let tid: number | undefined;
  let received = 0;
  const chunks: Uint8Array[] = [];
  const result: ClientResult = { done: false, data: new Uint8Array() };
  let lastSent = rrq(name, opts);
  let timer: TimerHandle | undefined;
  let tries = 0;
  const send = (b: Uint8Array, port: number) => {
    lastSent = b;
    void link.send(b, { address: server.address, port });
  };
  const ack = (n: number) => Uint8Array.of(0, 4, (n >> 8) & 0xff, n & 0xff);
  const arm = () => {
    timer?.cancel();
    timer = clock.setTimeout(() => {
      if (result.done || result.error) return;
      if (++tries > 12) {
        result.error = 'client gave up';
        return;
      }
      send(lastSent, tid ?? server.port);
      arm();
    }, 2500);
  };
  link.onMessage((d) => {
    const op = u16(d.data, 0);
    if (tid === undefined) tid = d.from.port;
    if (d.from.port !== tid) return;
    tries = 0;
    if (op === 6) {
      // OACK: adopt what was granted, then ACK 0.
      const fields = new TextDecoder().decode(d.data.subarray(2)).split('\0');
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (fields[i] === 'blksize') bs = Number(fields[i + 1]);
        if (fields[i] === 'windowsize') ws = Number(fields[i + 1]);
      }
      if (received === 0) send(ack(0), tid);
      arm();
    } else if (op === 3) {
      const block = u16(d.data, 2);
      const payload = d.data.subarray(4);
      if (block === ((received + 1) & 0xffff) && !result.done) {
        received++;
        chunks.push(payload.slice());
        if (payload.length < bs) {
          result.done = true;
          result.data = Buffer.concat(chunks);
          send(ack(block), tid);
          timer?.cancel();
        } else if (received % ws === 0) send(ack(block), tid);
        if (!result.done) arm();
      } else {
        // Duplicate, stale or after a gap: ACK the last in-order block (also after completion: dally).
        send(ack(received & 0xffff), tid);
      }
    } else if (op === 5) {
      result.error = `ERROR ${u16(d.data, 2)}`;
      timer?.cancel();
    }
  });
  send(lastSent, server.port);
  arm();
  return { result, link };
}

describe('TFTP under loss, duplication and reordering', () => {
  it('200 transfers at 10% loss/dup/reorder arrive intact; no DATA answers a duplicate ACK', async () => {
    const clock = new ManualClock();
    // Per server TID: highest ACK seen, whether we are inside a duplicate ACK's handler.
    const highest = new Map<number, number>();
    let inDuplicate: number | undefined;
    let duplicateAcks = 0;
    let dataDuringDuplicate = 0;
    const tap = (e: NetworkTapEvent) => {
      if (e.to.address === '10.0.0.1' && e.to.port !== 69 && u16(e.data, 0) === 4) {
        const block = u16(e.data, 2);
        if (e.type === 'deliver') {
          const h = highest.get(e.to.port) ?? -1;
          if (block <= h) {
            duplicateAcks++;
            inDuplicate = e.to.port;
          } else highest.set(e.to.port, block);
        } else if (e.type === 'handled') inDuplicate = undefined;
      }
      if (e.type === 'send' && inDuplicate !== undefined && e.from.port === inDuplicate && u16(e.data, 0) === 3) dataDuringDuplicate++;
    };
    const net = new LossyDatagramNetwork({ clock, seed: 20261128, loss: 0.1, duplicate: 0.1, reorder: 0.1, latencyMs: 1, reorderDelayMs: 8, tap });
    const events: TftpServerEvent[] = [];
    const server = new TftpServer({
      network: net,
      clock,
      listen: { address: '10.0.0.1', port: 69 },
      generated: (_c, name) => content(name),
      maxTransfers: 32,
      maxTransfersPerClient: 32,
      onEvent: (e) => events.push(e),
    });
    await server.start();
    const pick = seededRandom(99);
    const sizes = [0, 1, 511, 512, 513, 1024, 1468 * 3, 4096, 20_000, 65_000];
    const specs = Array.from({ length: 200 }, (_, i) => ({
      name: `f${i < sizes.length ? sizes[i] : Math.floor(pick() * 120_000)}-${i}`,
      blksize: [undefined, 512, 1024, 1468][i % 4],
      windowsize: [1, 1, 4, 16][Math.floor(i / 4) % 4]!,
    }));
    const clients: Array<{ name: string; result: ClientResult; link: DatagramLink }> = [];
    const flush = () => new Promise((r) => setImmediate(r));
    let next = 0;
    for (let step = 0; step < 400_000; step++) {
      // Keep about 20 transfers in flight.
      while (next < specs.length && clients.filter((c) => !c.result.done && !c.result.error).length < 20) {
        const s = specs[next++]!;
        clients.push({ name: s.name, ...(await startClient(net, clock, { address: '10.0.0.1', port: 69 }, s.name, s.blksize, s.windowsize)) });
      }
      clock.advance(2);
      if (step % 4 === 0) await flush();
      if (next === specs.length && clients.every((c) => c.result.done || c.result.error) && server.activeTransfers === 0) break;
    }
    const failed = clients.filter((c) => !c.result.done);
    expect(failed.map((c) => `${c.name}: ${c.result.error ?? 'unfinished'}`)).toEqual([]);
    for (const c of clients) expect(sha(c.result.data), c.name).toBe(sha(content(c.name)!));
    expect(net.counters.dropped).toBeGreaterThan(100);
    expect(net.counters.duplicated).toBeGreaterThan(100);
    expect(net.counters.reordered).toBeGreaterThan(100);
    expect(duplicateAcks).toBeGreaterThan(50); // the property was exercised...
    expect(dataDuringDuplicate).toBe(0); // ...and held
    expect(events.filter((e) => e.type === 'transfer-done')).toHaveLength(200);
    for (const c of clients) await c.link.close();
    await server.close();
    expect(net.openLinks).toBe(0);
  }, 120_000);

  it('retransmits only on timeout, with exponential backoff, then gives up', async () => {
    const clock = new ManualClock();
    const sends: number[] = [];
    const net = new LossyDatagramNetwork({
      clock,
      tap: (e) => {
        if (e.type === 'send' && u16(e.data, 0) === 3) sends.push(clock.now());
      },
    });
    const server = new TftpServer({ network: net, clock, listen: { address: '10.0.0.1', port: 69 }, generated: (_c, n) => content(n), retransmitMs: 1000, maxRetransmitMs: 8000, maxRetries: 5 });
    await server.start();
    const silent = await net.bind({ address: '10.0.0.2', port: 0 });
    silent.onMessage(() => {}); // never ACKs
    await silent.send(rrq('f100-1', []), { address: '10.0.0.1', port: 69 });
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    clock.advance(60_000);
    const gaps = sends.slice(1).map((t, i) => Math.round(t - sends[i]!));
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(server.activeTransfers).toBe(0);
    await server.close();
  });
  it('enforces the per-transfer deadline and the per-client cap', async () => {
    const clock = new ManualClock();
    const net = new LossyDatagramNetwork({ clock });
    const events: TftpServerEvent[] = [];
    const server = new TftpServer({
      network: net,
      clock,
      listen: { address: '10.0.0.1', port: 69 },
      generated: (_c, n) => content(n),
      transferDeadlineMs: 5000,
      maxTransfersPerClient: 2,
      onEvent: (e) => events.push(e),
    });
    await server.start();
    // A client that ACKs every block just before the retransmit timer: only the deadline stops it.
    const slow = await net.bind({ address: '10.0.0.2', port: 0 });
    const errors: number[] = [];
    slow.onMessage((d) => {
      if (u16(d.data, 0) === 5) errors.push(u16(d.data, 2));
      if (u16(d.data, 0) === 3) clock.setTimeout(() => void slow.send(Uint8Array.of(0, 4, d.data[2]!, d.data[3]!), d.from), 900);
    });
    await slow.send(rrq('f100000-3', []), { address: '10.0.0.1', port: 69 });
    // Two more from the same IP: one fits under the cap of 2, the next is dropped.
    const others = [await net.bind({ address: '10.0.0.2', port: 0 }), await net.bind({ address: '10.0.0.2', port: 0 })];
    for (const o of others) {
      o.onMessage(() => {});
      await o.send(rrq('f100-4', []), { address: '10.0.0.1', port: 69 });
    }
    clock.advance(2);
    await new Promise((r) => setImmediate(r));
    clock.advance(2);
    expect(server.activeTransfers).toBe(2);
    expect(events.filter((e) => e.type === 'request-dropped' && e.reason === 'cap')).toHaveLength(1);
    clock.advance(6000);
    await new Promise((r) => setImmediate(r));
    const err = events.find((e) => e.type === 'transfer-error' && e.transfer.file === 'f100000-3');
    expect(err && err.type === 'transfer-error' && err.message).toBe('transfer deadline exceeded');
    expect(errors).toEqual([0]);
    await server.close();
  });
});
