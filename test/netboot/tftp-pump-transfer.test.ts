/**
 * The TypeScript side of a pumped read, with the pump faked (transports/fake/fake-tftp-pump.ts):
 * the server negotiates, then hands the data phase over with exactly the negotiated values (the
 * OACK checked against bytes written out here from RFC 2347), turns the pump's counters into
 * progress events and its result into the same events a TypeScript transfer emits, keeps what the
 * pump reports it cannot send (its own limits) in the TypeScript engine, and aborts pumped reads
 * on close. The wire rules of the real pump are in tftp-pump.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { staticFiles } from '../../src/netboot/generated-files.js';
import { TftpServer, type TftpServerEvent, type TftpServerOptions } from '../../src/netboot/tftp-server.js';
import type { Datagram, DatagramAddress } from '../../src/transports/datagram-link.js';
import { FakeTftpPump, type FakeTftpPumpOptions } from '../../src/transports/fake/fake-tftp-pump.js';
import { LossyDatagramNetwork } from '../../src/transports/fake/lossy-datagram-network.js';

const SERVER: DatagramAddress = { address: '10.0.0.1', port: 69 };
const enc = new TextEncoder();
const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const tick = () => new Promise((r) => setImmediate(r));

/** RFC 1350 §5 RRQ with RFC 2347 options, written out here (not with the codec under test). */
function rrq(name: string, opts: Array<[string, string]> = []): Uint8Array {
  const bytes = [0, 1];
  for (const p of [name, 'octet', ...opts.flat()]) bytes.push(...enc.encode(p), 0);
  return Uint8Array.from(bytes);
}

const big = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, i) => (i * 7) & 0xff);
const small = enc.encode('x'.repeat(3000));
const dir = mkdtempSync(join(tmpdir(), 'bk-pump-transfer-'));
const onDisk = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13) & 0xff);
writeFileSync(join(dir, 'disk.bin'), onDisk);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setUp(pumpOptions: FakeTftpPumpOptions = {}, server: Partial<TftpServerOptions> = {}) {
  const clock = new ManualClock();
  /** Every DATA the server sends through the datagram network (none, when the pump sends). */
  const dataSent: number[] = [];
  const net = new LossyDatagramNetwork({ clock, latencyMs: 1, tap: (e) => e.type === 'send' && u16(e.data, 0) === 3 && dataSent.push(u16(e.data, 2)) });
  const pump = new FakeTftpPump(pumpOptions);
  const events: TftpServerEvent[] = [];
  const tftp = new TftpServer({
    network: { bind: (l) => net.bind(l), tftpPump: pump },
    clock,
    listen: SERVER,
    root: dir,
    generated: staticFiles({ 'big.bin': big, 'small.bin': small }),
    onEvent: (e) => events.push(e),
    ...server,
  });
  await tftp.start();
  const clients: Array<{ address: DatagramAddress; got: Datagram[]; send: (b: Uint8Array, to?: DatagramAddress) => void }> = [];
  const client = async (host: string) => {
    const link = await net.bind({ address: host, port: 0 });
    const got: Datagram[] = [];
    link.onMessage((d) => got.push(d));
    const c = { address: link.local, got, send: (b: Uint8Array, to: DatagramAddress = SERVER) => void link.send(b, to) };
    clients.push(c);
    return c;
  };
  /** Lets requests through the network and their asynchronous set-up (opening a file) run. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { clock, pump, tftp, events, client, settle, dataSent };
}

describe('a read handed to the TFTP pump', () => {
  it('gets exactly the negotiated values, the OACK as RFC 2347 writes it, and is reported as pumped', async () => {
    const { pump, events, client, settle, dataSent } = await setUp();
    const c = await client('10.0.0.2');
    c.send(rrq('small.bin', [['blksize', '1468'], ['windowsize', '8'], ['tsize', '0'], ['timeout', '2']]));
    await settle();
    expect(pump.runs).toHaveLength(1);
    const job = pump.runs[0]!.job;
    expect({ ...job, oack: undefined, source: undefined }).toEqual({
      localAddress: '10.0.0.1',
      peer: c.address,
      blksize: 1468,
      windowsize: 8,
      oack: undefined,
      source: undefined,
      retransmitMs: 2000, // the client's timeout option, in ms
      maxRetransmitMs: 8000,
      maxRetries: 6,
      deadlineMs: 600_000,
    });
    // OACK: opcode 6, then the accepted options in request order (tsize filled in).
    expect(Array.from(job.oack!)).toEqual([0, 6, ...enc.encode('blksize\u00001468\u0000windowsize\u00008\u0000tsize\u00003000\u0000timeout\u00002\u0000')]);
    expect(pump.runs[0]!.bytes()).toEqual(small);
    expect(dataSent).toEqual([]); // the pump sends the DATA, not the TypeScript engine
    expect(events.find((e) => e.type === 'listening')).toMatchObject({ engine: 'native-pump' });
    expect(events.find((e) => e.type === 'transfer-start')).toMatchObject({ transfer: { file: 'small.bin', engine: 'native-pump', blksize: 1468, windowsize: 8, size: 3000, origin: 'generated' } });
  });

  it('a file from the root goes over as its open descriptor', async () => {
    const { pump, client, settle } = await setUp();
    const c = await client('10.0.0.2');
    c.send(rrq('disk.bin'));
    await settle();
    const run = pump.runs[0]!;
    expect(run.job.source).toMatchObject({ size: onDisk.length });
    expect('fd' in run.job.source).toBe(true);
    expect(run.job.oack).toBeUndefined(); // no options: DATA 1 first (RFC 1350)
    expect(run.bytes()).toEqual(onDisk);
    run.complete();
  });

  it("progress comes from the pump's counters; its result becomes transfer-done and frees the slot", async () => {
    const { clock, pump, tftp, events, client, settle } = await setUp();
    const c = await client('10.0.0.2');
    c.send(rrq('big.bin', [['windowsize', '16']]));
    await settle();
    const run = pump.runs[0]!;
    const progress = () => events.filter((e) => e.type === 'transfer-progress').map((e) => (e.type === 'transfer-progress' ? e.bytes : 0));
    run.acknowledge(1.5 * 1024 * 1024);
    clock.advance(250);
    expect(progress()).toEqual([1.5 * 1024 * 1024]);
    clock.advance(250); // no new bytes: no new event
    run.acknowledge(2.5 * 1024 * 1024, { retransmits: 3 });
    clock.advance(250);
    expect(progress()).toEqual([1.5 * 1024 * 1024, 2.5 * 1024 * 1024]);
    expect(tftp.activeTransfers).toBe(1);
    run.complete();
    await tick();
    expect(events.find((e) => e.type === 'transfer-done')).toMatchObject({ bytes: big.length, retransmits: 3, transfer: { file: 'big.bin', engine: 'native-pump', windowsize: 16 } });
    expect(tftp.activeTransfers).toBe(0);
  });

  it("a client's ERROR ends it as transfer-abort, a timeout as transfer-error", async () => {
    const { pump, events, client, settle } = await setUp();
    const a = await client('10.0.0.2');
    const b = await client('10.0.0.3');
    a.send(rrq('small.bin', [['tsize', '0']]));
    b.send(rrq('small.bin'));
    await settle();
    expect(pump.runs).toHaveLength(2);
    pump.runs[0]!.end({ status: 'client-abort', code: 0, message: 'Early terminate', afterOack: true });
    pump.runs[1]!.acknowledge(1024);
    pump.runs[1]!.end({ status: 'timeout', message: 'no ACK after 6 retransmits' });
    await tick();
    expect(events.find((e) => e.type === 'transfer-abort')).toMatchObject({ code: 0, message: 'Early terminate', afterOack: true, transfer: { client: a.address } });
    expect(events.find((e) => e.type === 'transfer-error')).toMatchObject({ bytes: 1024, message: 'no ACK after 6 retransmits', transfer: { client: b.address } });
  });

  it('what the pump reports it cannot send (its own limits) is served by the TypeScript engine', async () => {
    const { pump, events, client, settle, dataSent } = await setUp({ limits: { maxWindowsize: 4, maxBlksize: 1024 } });
    const a = await client('10.0.0.2');
    const b = await client('10.0.0.3');
    const c = await client('10.0.0.4');
    a.send(rrq('small.bin', [['windowsize', '8']])); // above the pump's window
    b.send(rrq('small.bin', [['blksize', '1468']])); // above the pump's blksize
    c.send(rrq('small.bin', [['windowsize', '4'], ['blksize', '1024']])); // within both
    await settle();
    expect(pump.runs.map((r) => r.job.peer)).toEqual([c.address]);
    const engines = Object.fromEntries(events.flatMap((e) => (e.type === 'transfer-start' ? [[e.transfer.client.address, e.transfer.engine]] : [])));
    expect(engines).toEqual({ '10.0.0.2': 'typescript', '10.0.0.3': 'typescript', '10.0.0.4': 'native-pump' });
    // The TypeScript engine answered a and b from its own ports (an OACK each), the pump only c.
    expect([a, b, c].map((x) => x.got.map((d) => [u16(d.data, 0), d.from.port === SERVER.port]))).toEqual([[[6, false]], [[6, false]], []]);
    expect(dataSent).toEqual([]);
  });

  it('closing the server aborts pumped reads; they end as transfer-error', async () => {
    const { pump, tftp, events, client, settle } = await setUp();
    const c = await client('10.0.0.2');
    c.send(rrq('big.bin'));
    await settle();
    await tftp.close();
    expect(pump.runs[0]!.aborted).toBe(true);
    expect(events.find((e) => e.type === 'transfer-error')).toMatchObject({ message: 'server is shutting down' });
  });

  it('a pump that cannot bind the transfer port: the client gets an ERROR from the request port, the slot is freed', async () => {
    const { tftp, events, client, settle } = await setUp({ failStart: () => new Error('bind EADDRINUSE') });
    const c = await client('10.0.0.2');
    c.send(rrq('small.bin'));
    await settle();
    await settle();
    const err = c.got.find((d) => u16(d.data, 0) === 5);
    expect(err?.from).toEqual(SERVER);
    expect(new TextDecoder().decode(err!.data.subarray(4, -1))).toContain('EADDRINUSE');
    expect(events.find((e) => e.type === 'request-refused')).toMatchObject({ file: 'small.bin' });
    expect(events.some((e) => e.type === 'transfer-start')).toBe(false);
    expect(tftp.activeTransfers).toBe(0);
  });
});
