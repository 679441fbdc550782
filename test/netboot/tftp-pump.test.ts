/**
 * The native TFTP pump (src/transports/node/native/tftp_pump.c) on the wire: a TftpServer on kernel
 * UDP hands each read's data phase to it, and a raw UDP client written here checks the sender's
 * rules datagram by datagram, for the pump and, with the same tests, for the TypeScript engine (RFC 1350, 2347, 7440; RFC 1123 §4.2.3.1): lock-step, windows and the
 * restart inside a window, no DATA for a duplicate ACK, timeouts with backoff, block-number wrap,
 * ERROR 4 / ERROR 0 endings, the deadline, closing mid-transfer and IPv6 (skipped, with the reason, only
 * where ::1 cannot be bound); every transfer must say it was served by the engine under test. Then 30 transfers with
 * 10% loss, duplication and reordering injected at the client must all arrive byte-identical.
 * Real clients (atftp, curl, tftp-hpa) run against the pump in tftp-conformance.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TftpServer, type TftpServerEvent, type TftpServerOptions } from '../../src/netboot/tftp-server.js';
import { staticFiles } from '../../src/netboot/generated-files.js';
import { BLKSIZE_MAX } from '../../src/protocols/tftp/options.js';
import { UdpDatagramNetwork } from '../../src/transports/node/udp-datagram-link.js';
import type { Datagram, DatagramAddress, DatagramLink } from '../../src/transports/datagram-link.js';
import { rawDatagramClient } from '../helpers/raw-datagram-client.js';

const pumped = new UdpDatagramNetwork({ nativePump: true });
const plain = new UdpDatagramNetwork({ nativePump: false });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

function rrq(name: string, opts: Array<[string, string]> = []): Uint8Array {
  const enc = new TextEncoder();
  const bytes = [0, 1];
  for (const p of [name, 'octet', ...opts.flat()]) bytes.push(...enc.encode(p), 0);
  return Uint8Array.from(bytes);
}
const ack = (block: number) => Uint8Array.of(0, 4, (block >> 8) & 0xff, block & 0xff);
const op = (d: Datagram) => u16(d.data, 0);
const blockOf = (d: Datagram) => u16(d.data, 2);

let dir: string;
const files: Record<string, Buffer> = {};
const servers: TftpServer[] = [];
const links: DatagramLink[] = [];

beforeAll(() => {
  expect(pumped.tftpPump, `the native TFTP pump must be built (npm run build): ${pumped.tftpPumpMissing}`).toBeDefined();
  dir = mkdtempSync(join(tmpdir(), 'bk-tftp-pump-'));
  files['small.bin'] = randomBytes(1300);
  files['ten.bin'] = randomBytes(10 * 512 + 100);
  files['wrap.bin'] = randomBytes(70_000 * 8 + 3); // 70 001 blocks at blksize 8: the wire counter wraps
  for (let i = 0; i < 30; i++) files[`lossy-${i}.bin`] = randomBytes(20_000 + i * 7_919);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(links.map((l) => l.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(extra: Partial<TftpServerOptions> = {}, address: string = '127.0.0.1') {
  const events: TftpServerEvent[] = [];
  const server = new TftpServer({ network: pumped, listen: { address, port: 0 }, root: dir, pathMtu: 65536, onEvent: (e) => events.push(e), ...extra });
  servers.push(server);
  const at = await server.start();
  return { server, at, events };
}

/** A raw client on the plain network (closed after all tests). */
async function client(address = '127.0.0.1') {
  const c = await rawDatagramClient(plain, address);
  links.push(c.link);
  return c;
}

async function until(pred: () => boolean, ms = 3000) {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) throw new Error('condition not met');
    await sleep(10);
  }
}

/** Why ::1 cannot be bound here (no IPv6 on this host or namespace), or undefined when it can. */
const ipv6Unavailable = await plain.bind({ address: '::1', port: 0 }).then(
  (l) => l.close().then(() => undefined),
  (err: unknown) => (err instanceof Error ? err.message : String(err)),
);

// The same wire tests for both engines: the rules are one, whoever sends the DATA.
const ENGINES = [
  { engine: 'native pump', network: pumped, served: 'native-pump' },
  { engine: 'TypeScript engine', network: plain, served: 'typescript' },
] as const;

describe.each(ENGINES)('$engine on the wire', ({ network, served }) => {
  /** The events of every server this test started: each transfer must say the engine under test served it. */
  const eventsOfTest: TftpServerEvent[][] = [];
  const serveOn = async (extra: Partial<TftpServerOptions> = {}, address?: string) => {
    const s = await serve({ network, ...extra }, address);
    eventsOfTest.push(s.events);
    return s;
  };
  afterEach((ctx) => {
    const engines = eventsOfTest.splice(0).flat().flatMap((e) => (e.type === 'transfer-start' ? [e.transfer.engine] : []));
    if (ctx.task.result?.state === 'skip') return;
    expect(engines.length, 'transfers started in this test').toBeGreaterThan(0);
    expect(engines.filter((e) => e !== served), `every transfer served by ${served}`).toEqual([]);
  });

  it('lock-step: DATA 1 first, a duplicate ACK (even fifty) is never answered, the short block ends it', async () => {
    const { at, events } = await serveOn();
    const c = await client();
    await c.send(rrq('small.bin'), at);
    const d1 = await c.next();
    const tid = d1.from;
    expect(tid.port).not.toBe(at.port);
    expect([op(d1), blockOf(d1), d1.data.length]).toEqual([3, 1, 516]);
    await c.send(ack(1), tid);
    const d2 = await c.next();
    expect([op(d2), blockOf(d2)]).toEqual([3, 2]);
    for (let i = 0; i < 50; i++) await c.send(ack(1), tid);
    expect(await c.quiet(400)).toBe(true); // retransmit is 1 s away: nothing may come
    await c.send(ack(2), tid);
    const d3 = await c.next();
    expect([op(d3), blockOf(d3), d3.data.length]).toEqual([3, 3, 4 + 1300 - 1024]);
    expect(Buffer.concat([d1.data.subarray(4), d2.data.subarray(4), d3.data.subarray(4)]).equals(files['small.bin']!)).toBe(true);
    await c.send(ack(3), tid);
    await until(() => events.some((e) => e.type === 'transfer-done'));
    const done = events.find((e) => e.type === 'transfer-done');
    expect(done).toMatchObject({ bytes: 1300, retransmits: 0, transfer: { file: 'small.bin', blksize: 512, windowsize: 1 } });
  });

  it('windowsize 4 after the OACK: a window per ACK; an ACK inside the window restarts it at ACK + 1', async () => {
    const { at, events } = await serveOn();
    const c = await client();
    await c.send(rrq('ten.bin', [['windowsize', '4'], ['tsize', '0']]), at);
    const oack = await c.next();
    expect(op(oack)).toBe(6);
    expect(Buffer.from(oack.data.subarray(2)).toString('latin1')).toBe(`windowsize\x004\x00tsize\x00${10 * 512 + 100}\x00`);
    const window = async () => {
      const got: number[] = [];
      for (let i = 0; i < 4; i++) got.push(blockOf(await c.next()));
      return got;
    };
    await c.send(ack(0), oack.from);
    expect(await window()).toEqual([1, 2, 3, 4]);
    await c.send(ack(2), oack.from); // "lost" 3 and 4
    expect(await window()).toEqual([3, 4, 5, 6]);
    await c.send(ack(6), oack.from);
    expect(await window()).toEqual([7, 8, 9, 10]);
    await c.send(ack(10), oack.from);
    const last = await c.next();
    expect([blockOf(last), last.data.length]).toEqual([11, 104]);
    expect(await c.quiet(100)).toBe(true);
    await c.send(ack(11), oack.from);
    await until(() => events.some((e) => e.type === 'transfer-done'));
    // As sender.ts counts them: every block of a restarted window (3, 4, 5, 6) is a retransmit.
    expect(events.find((e) => e.type === 'transfer-done')).toMatchObject({ retransmits: 4 });
  });

  it('without ACKs it retransmits from the last ACK + 1 with backoff, then gives up with ERROR 0', async () => {
    const { at, events } = await serveOn({ retransmitMs: 100, maxRetransmitMs: 400, maxRetries: 3 });
    const c = await client();
    await c.send(rrq('ten.bin'), at);
    const seen = [await c.next()];
    await c.send(ack(1), seen[0]!.from);
    seen.length = 0;
    for (let i = 0; i < 5; i++) seen.push(await c.next(2000));
    expect(seen.slice(0, 4).map((d) => [op(d), blockOf(d)])).toEqual([[3, 2], [3, 2], [3, 2], [3, 2]]);
    const gaps = seen.slice(1).map((d, i) => d.at - seen[i]!.at);
    // 100, 200, 400 ms (capped), then the give-up after 400 more; generous upper bounds for a busy machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    expect(gaps[2]).toBeGreaterThanOrEqual(390);
    expect(gaps[3]).toBeGreaterThanOrEqual(390);
    expect(gaps.every((g) => g < 1500)).toBe(true);
    const error = seen[4]!;
    expect(op(error)).toBe(5);
    expect(u16(error.data, 2)).toBe(0);
    expect(Buffer.from(error.data.subarray(4, -1)).toString()).toBe('timed out waiting for ACK');
    await until(() => events.some((e) => e.type === 'transfer-error'));
    expect(events.find((e) => e.type === 'transfer-error')).toMatchObject({ message: 'no ACK after 3 retransmits', bytes: 512 });
  });

  it('block numbers wrap 65535 → 0 (70 001 blocks of 8 bytes, windowsize 64) and the bytes arrive identical', async () => {
    const { at, events } = await serveOn();
    const c = await client();
    await c.send(rrq('wrap.bin', [['blksize', '8'], ['windowsize', '64']]), at);
    const oack = await c.next();
    await c.send(ack(0), oack.from);
    const out: Uint8Array[] = [];
    let expected = 1;
    let wraps = 0;
    for (;;) {
      const d = await c.next();
      expect(blockOf(d)).toBe(expected & 0xffff);
      if ((expected & 0xffff) === 0) wraps++;
      out.push(d.data.subarray(4));
      const last = d.data.length < 12;
      if (expected % 64 === 0 || last) await c.send(ack(expected & 0xffff), oack.from);
      expected++;
      if (last) break;
    }
    expect(wraps).toBe(1);
    expect(sha(Buffer.concat(out))).toBe(sha(files['wrap.bin']!));
    await until(() => events.some((e) => e.type === 'transfer-done'));
  }, 30_000);

  it('a DATA from the client ends the read with ERROR 4; an ERROR from the client is a client abort', async () => {
    const { at, events } = await serveOn();
    const c = await client();
    await c.send(rrq('small.bin'), at);
    const d1 = await c.next();
    await c.send(Uint8Array.of(0, 3, 0, 1, 9, 9), d1.from);
    const e = await c.next();
    expect([op(e), u16(e.data, 2)]).toEqual([5, 4]);
    expect(Buffer.from(e.data.subarray(4, -1)).toString()).toBe('unexpected DATA during a read');
    await until(() => events.some((x) => x.type === 'transfer-error'));
    expect(events.find((x) => x.type === 'transfer-error')).toMatchObject({ message: 'client sent DATA' });
    // Short and unknown datagrams from the peer are loss, not an end.
    await c.send(rrq('small.bin'), at);
    const again = await c.next();
    await c.send(Uint8Array.of(0, 4, 0), again.from);
    await c.send(Uint8Array.of(0, 42, 0, 1), again.from);
    expect(await c.quiet(200)).toBe(true);
    await c.send(Uint8Array.from([0, 5, 0, 0, ...Buffer.from('Early terminate'), 0]), again.from);
    await until(() => events.some((x) => x.type === 'transfer-abort'));
    expect(events.find((x) => x.type === 'transfer-abort')).toMatchObject({ code: 0, message: 'Early terminate', afterOack: false });
  });

  it('closing the server mid-transfer sends ERROR 0 to the client; the deadline ends a stalled read', async () => {
    const a = await serveOn();
    const c = await client();
    await c.send(rrq('small.bin'), a.at);
    await c.next();
    await a.server.close();
    const e = await c.next();
    expect([op(e), u16(e.data, 2), Buffer.from(e.data.subarray(4, -1)).toString()]).toEqual([5, 0, 'server is shutting down']);
    expect(a.events.find((x) => x.type === 'transfer-error')).toMatchObject({ message: 'server closing' });

    const b = await serveOn({ transferDeadlineMs: 300, retransmitMs: 5000 });
    const t0 = performance.now();
    await c.send(rrq('small.bin'), b.at);
    await c.next();
    const d = await c.next(3000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    expect([op(d), u16(d.data, 2), Buffer.from(d.data.subarray(4, -1)).toString()]).toEqual([5, 0, 'transfer deadline exceeded']);
  });

  it('serves in-memory files', async () => {
    const gen = new TextEncoder().encode('x'.repeat(700));
    const { at, events } = await serveOn({ generated: staticFiles({ 'gen.txt': gen }) });
    const c = await client();
    await c.send(rrq('gen.txt'), at);
    const d1 = await c.next();
    await c.send(ack(1), d1.from);
    const d2 = await c.next();
    await c.send(ack(2), d1.from);
    expect(d1.data.length - 4 + d2.data.length - 4).toBe(700);
    await until(() => events.some((e) => e.type === 'transfer-done' && e.transfer.origin === 'generated'));
  });

  it('serves IPv6 clients', async (ctx) => {
    // Skipped only when ::1 cannot be bound at all (checked above); any other failure fails.
    if (ipv6Unavailable) ctx.skip(`::1 cannot be bound here: ${ipv6Unavailable}`);
    const v6 = await serveOn({}, '::1');
    const c6 = await client('::1');
    await c6.send(rrq('small.bin'), v6.at);
    const e1 = await c6.next();
    expect(e1.from.address).toBe('::1');
    await c6.send(ack(1), e1.from);
    await c6.next();
    await c6.send(ack(2), e1.from);
    await c6.next();
    await c6.send(ack(3), e1.from);
    await until(() => v6.events.some((e) => e.type === 'transfer-done'));
  });
});

describe('native pump only', () => {
  it('10 000 random and mutated datagrams at live transfers: each ends in a defined outcome, the server still serves', async () => {
    // Caps above the 40 transfers, which may all be live at once (random in-window ACKs keep some going).
    const { at, events } = await serve({ retransmitMs: 40, maxRetransmitMs: 80, maxRetries: 2, transferDeadlineMs: 5_000, maxTransfers: 64, maxTransfersPerClient: 64 });
    let seed = 12345;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const mutate = (): Uint8Array => {
      const kind = rnd(4);
      if (kind === 0) return Uint8Array.from({ length: rnd(40) }, () => rnd(256)); // noise, 0..39 bytes
      const op = [1, 2, 3, 4, 5, 6, 0, 7, 255][rnd(9)]!;
      const body = Uint8Array.from({ length: rnd(kind === 1 ? 4 : 600) }, () => (rnd(5) === 0 ? 0 : rnd(256)));
      return Uint8Array.from([op >> 8, op & 0xff, ...body]); // a known opcode with a random body
    };
    let sent = 0;
    for (let round = 0; sent < 10_000; round++) {
      const c = await client();
      await c.send(rrq('ten.bin', [['windowsize', '4']]), at);
      const tid = (await c.next()).from;
      for (let i = 0; i < 250; i++, sent++) await c.send(mutate(), tid);
    }
    const ends = () => events.filter((e) => e.type === 'transfer-done' || e.type === 'transfer-abort' || e.type === 'transfer-error').length;
    const starts = () => events.filter((e) => e.type === 'transfer-start').length;
    await until(() => ends() === starts(), 10_000);
    expect(starts()).toBe(40);
    // Still serving: a clean read afterwards.
    const c = await client();
    await c.send(rrq('small.bin'), at);
    const got: Uint8Array[] = [];
    for (let k = 1; k <= 3; k++) {
      const d = await c.next();
      expect(blockOf(d)).toBe(k);
      got.push(d.data.subarray(4));
      await c.send(ack(k), d.from);
    }
    expect(Buffer.concat(got).equals(files['small.bin']!)).toBe(true);
    await until(() => ends() === starts() && starts() === 41);
    expect(events.flatMap((e) => (e.type === 'transfer-start' && e.transfer.engine !== 'native-pump' ? [e.transfer.file] : []))).toEqual([]);
  }, 60_000);

  it('the pump reports its own limits (from the addon, not a copy in TypeScript)', () => {
    expect(pumped.tftpPump!.limits).toEqual({ maxWindowsize: 64, maxBlksize: BLKSIZE_MAX });
  });

  it('a windowsize above what the pump sends (64) is served by the TypeScript engine instead', async () => {
    const { at, events } = await serve({ windowsizeMax: 128 });
    const c = await client();
    await c.send(rrq('ten.bin', [['windowsize', '100']]), at);
    const oack = await c.next();
    expect(Buffer.from(oack.data.subarray(2)).toString('latin1')).toBe('windowsize\x00100\x00');
    await c.send(ack(0), oack.from);
    const got: Uint8Array[] = [];
    for (let k = 1; k <= 11; k++) {
      const d = await c.next();
      expect(blockOf(d)).toBe(k);
      got.push(d.data.subarray(4));
    }
    await c.send(ack(11), oack.from);
    expect(Buffer.concat(got).equals(files['ten.bin']!)).toBe(true);
    await until(() => events.some((e) => e.type === 'transfer-done'));
    expect(events.find((e) => e.type === 'transfer-start')).toMatchObject({ transfer: { engine: 'typescript', windowsize: 100 } });
  });

  it('windows leave by sendmmsg (the default) or, with gso on, as UDP GSO sends: the same bytes either way', async () => {
    // The pump itself, through the TftpPump interface: memory source, no OACK, windowsize 8.
    const withGso = new UdpDatagramNetwork({ nativePump: { gso: true } });
    for (const [pump, gso] of [[withGso.tftpPump!, true], [pumped.tftpPump!, false]] as const) {
      const c = await client();
      const run = pump.start({ localAddress: '127.0.0.1', peer: c.link.local, source: { data: files['ten.bin']! }, blksize: 512, windowsize: 8, retransmitMs: 1000, maxRetransmitMs: 8000, maxRetries: 6, deadlineMs: 10_000 });
      const got: Uint8Array[] = [];
      for (let k = 1; k <= 11; k++) {
        const d = await c.next();
        expect([d.from.port, blockOf(d)]).toEqual([run.port, k]);
        got.push(d.data.subarray(4));
        if (k === 8 || k === 11) await c.send(ack(k), d.from);
      }
      expect(await run.done).toEqual({ status: 'complete' });
      expect(Buffer.concat(got).equals(files['ten.bin']!)).toBe(true);
      const stats = run.stats();
      expect(stats).toMatchObject({ bytesAcked: 10 * 512 + 100, blocksSent: 11, retransmits: 0 });
      // Window 1-8 and then 9-11 (its last block short): two GSO sends, or none with gso off.
      expect(stats.gsoSends).toBe(gso ? 2 : 0);
    }
  });
});

/**
 * A windowed reader in real time with faults injected on its side of the wire: each datagram it
 * receives or sends is dropped (10%), duplicated (10%) or delayed by 1–8 ms (10%, so it arrives out
 * of order). To the server that is exactly a lossy, duplicating, reordering network.
 */
async function lossyRead(at: DatagramAddress, name: string, blksize: number, windowsize: number, seed: number): Promise<Uint8Array> {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const link = await plain.bind({ address: '127.0.0.1', port: 0 });
  links.push(link);
  const faulty = (deliver: () => void) => {
    const r = rnd();
    if (r < 0.1) return;
    if (r < 0.2) {
      deliver();
      deliver();
    } else if (r < 0.3) setTimeout(deliver, 1 + Math.floor(rnd() * 8));
    else deliver();
  };
  let tid: DatagramAddress | undefined;
  let have = 0; // blocks received in order
  const chunks: Uint8Array[] = [];
  let finished = false;
  let lastHeard = performance.now();
  const send = (b: Uint8Array) => faulty(() => void link.send(b, tid ?? at).catch(() => {}));
  const opts: Array<[string, string]> = [['blksize', String(blksize)], ['windowsize', String(windowsize)]];
  return new Promise<Uint8Array>((resolve, reject) => {
    const timer = setInterval(() => {
      if (performance.now() - lastHeard < 60) return;
      lastHeard = performance.now();
      if (!tid) send(rrq(name, opts));
      else send(ack(have & 0xffff));
    }, 20);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`${name}: not finished in time (${have} blocks)`));
    }, 20_000);
    link.onMessage((d) =>
      faulty(() => {
        if (finished) return;
        lastHeard = performance.now();
        const code = u16(d.data, 0);
        if (code === 6 && !tid) {
          tid = d.from;
          send(ack(0));
          return;
        }
        if (code !== 3 || (tid && d.from.port !== tid.port)) return;
        if (blockOf(d) !== ((have + 1) & 0xffff)) {
          send(ack(have & 0xffff)); // out of order or repeated: say where we are
          return;
        }
        have++;
        chunks.push(Uint8Array.from(d.data.subarray(4)));
        const last = d.data.length - 4 < blksize;
        if (have % windowsize === 0 || last) send(ack(have & 0xffff));
        if (last) {
          // Dally: the final ACK may be lost; answer a retransmitted last block for a while.
          finished = true;
          clearInterval(timer);
          clearTimeout(deadline);
          link.onMessage((x) => {
            if (u16(x.data, 0) === 3 && blockOf(x) === (have & 0xffff)) void link.send(ack(have & 0xffff), tid!).catch(() => {});
          });
          resolve(Buffer.concat(chunks));
        }
      }),
    );
    send(rrq(name, opts));
  });
}

describe.each(ENGINES)('$engine under loss, duplication and reordering', ({ network, served }) => {
  it('30 transfers (blksize 512/1468, windowsize 1/4/8) arrive byte-identical', async () => {
    const { at, events } = await serve({ network, retransmitMs: 50, maxRetransmitMs: 200, maxRetries: 20 });
    const jobs = Array.from({ length: 30 }, (_, i) => ({ name: `lossy-${i}.bin`, blksize: [512, 1468][i % 2]!, windowsize: [1, 4, 8][i % 3]!, seed: 1000 + i }));
    for (let i = 0; i < jobs.length; i += 6) {
      const batch = jobs.slice(i, i + 6);
      const got = await Promise.all(batch.map((j) => lossyRead(at, j.name, j.blksize, j.windowsize, j.seed)));
      batch.forEach((j, k) => expect(sha(got[k]!), j.name).toBe(sha(files[j.name]!)));
    }
    await until(() => events.filter((e) => e.type === 'transfer-done' || e.type === 'transfer-error').length >= 30, 10_000);
    const done = events.filter((e) => e.type === 'transfer-done');
    expect(done.length).toBe(30);
    expect(done.filter((e) => e.type === 'transfer-done' && e.transfer.engine !== served)).toEqual([]);
    // The loss really happened: the server had to retransmit.
    expect(done.reduce((n, e) => n + (e.type === 'transfer-done' ? e.retransmits : 0), 0)).toBeGreaterThan(30);
  }, 120_000);
});
