/**
 * The pure TFTP engines on bytes: codec, option negotiation (U-Boot's and the Pi's requests),
 * and the sender/receiver state machines (wrap, windows, duplicate ACKs, timeouts).
 */
import { describe, expect, it } from 'vitest';
import {
  TftpReceiver,
  TftpSender,
  decodePacket,
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodeRequest,
  fromNetascii,
  isRefusal,
  negotiate,
  toNetascii,
  type TftpAction,
} from '../../src/protocols/tftp/index.js';

const policy = { blksizeMax: 65464, pathMtu: 1500, windowsizeMax: 64 };
const sends = (a: TftpAction[]) => a.filter((x) => x.type === 'send').map((x) => (x.type === 'send' ? decodePacket(x.bytes) : undefined));
const source = (size: number) => {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
  return { size, read: (o: number, l: number) => bytes.subarray(o, Math.min(size, o + l)) };
};

describe('codec', () => {
  it('decodes the Pi 4 RRQ with case-insensitive options', () => {
    const raw = Buffer.from('\x00\x01start4.elf\x00OCTET\x00TSIZE\x000\x00blksize\x001024\x00', 'latin1');
    expect(decodePacket(raw)).toEqual({ op: 'RRQ', filename: 'start4.elf', filenameUtf8: true, mode: 'octet', options: [['tsize', '0'], ['blksize', '1024']] });
  });
  it('round-trips every packet type, byte-exact against RFC 1350 layouts', () => {
    expect(Buffer.from(encodeAck(0x1234)).toString('hex')).toBe('00041234');
    expect(Buffer.from(encodeData(65535, Uint8Array.of(9))).toString('hex')).toBe('0003ffff09');
    expect(Buffer.from(encodeError(1, 'nf')).toString('hex')).toBe('000500016e6600');
    expect(Buffer.from(encodeOack([['blksize', '1468']])).toString('latin1')).toBe('\x00\x06blksize\x001468\x00');
    expect(decodePacket(encodeRequest('WRQ', 'a/b', 'netascii', [['tsize', '5']]))).toMatchObject({ op: 'WRQ', filename: 'a/b', mode: 'netascii', options: [['tsize', '5']] });
  });
  it('length-checks everything instead of throwing', () => {
    for (const b of [[], [0], [0, 3, 1], [0, 4], [0, 1, 65], [0, 1, 65, 0, 111, 0, 98, 0], [0, 99]]) {
      expect(decodePacket(Uint8Array.from(b)).op).toBe('MALFORMED');
    }
  });
  it('netascii converts both ways', () => {
    const text = new TextEncoder().encode('a\nb\rc\r\n');
    const wire = toNetascii(text);
    expect(Buffer.from(wire).toString('latin1')).toBe('a\r\nb\r\x00c\r\x00\r\n');
    expect(Buffer.from(fromNetascii(wire)).toString('latin1')).toBe('a\nb\rc\r\n');
  });
});

describe('negotiation', () => {
  it("U-Boot's request: timeout echoed unchanged, blksize never raised, windowsize capped", () => {
    const n = negotiate('RRQ', [['timeout', '5'], ['tsize', '0'], ['blksize', '1468'], ['windowsize', '128']], policy, 1000);
    expect(isRefusal(n)).toBe(false);
    if (isRefusal(n)) return;
    expect(n.oack).toEqual([['timeout', '5'], ['tsize', '1000'], ['blksize', '1468'], ['windowsize', '64']]);
    expect(n.windowsize).toBe(64);
  });
  it('caps blksize to the path MTU (− 32) and to blksizeMax', () => {
    const n = negotiate('RRQ', [['blksize', '65464']], policy, 1);
    expect(!isRefusal(n) && n.blksize).toBe(1468);
    const m = negotiate('RRQ', [['blksize', '9000']], { ...policy, pathMtu: 65536, blksizeMax: 4096 }, 1);
    expect(!isRefusal(m) && m.blksize).toBe(4096);
  });
  it('refuses what cannot be lowered with ERROR 8, ignores unknown options', () => {
    for (const opts of [[['blksize', '7']], [['timeout', '0']], [['timeout', '256']], [['windowsize', '0']], [['blksize', 'x']], [['tsize', '0'], ['tsize', '0']]] as Array<Array<[string, string]>>) {
      const n = negotiate('RRQ', opts, policy, 1);
      expect(isRefusal(n) && n.code).toBe(8);
    }
    const n = negotiate('RRQ', [['rollover', '0'], ['utimeout', '100']], policy, 1);
    expect(!isRefusal(n) && n.oack).toEqual([]);
  });
});

describe('sender', () => {
  const opts = { blksize: 8, windowsize: 1, retransmitMs: 1000, maxRetransmitMs: 8000, maxRetries: 3 };

  it('wraps block numbers 65535 → 0 and completes', () => {
    const s = new TftpSender({ ...opts, source: source(8 * 65540) });
    let a = s.start();
    let wire: number[] = [];
    for (let k = 1; !s.done; k++) {
      const d = sends(a)[0];
      if (d?.op !== 'DATA') throw new Error('expected DATA');
      if (k >= 65534 && k <= 65538) wire.push(d.block);
      a = s.receive({ op: 'ACK', block: d.block });
    }
    expect(wire).toEqual([65534, 65535, 0, 1, 2]);
    expect(a.at(-1)).toEqual({ type: 'finish', outcome: { status: 'complete', bytes: 8 * 65540 } });
  });

  it('never answers a duplicate ACK with DATA; retransmits only on timeout, with backoff', () => {
    const s = new TftpSender({ ...opts, source: source(100) });
    s.start();
    expect(sends(s.receive({ op: 'ACK', block: 1 }))).toMatchObject([{ op: 'DATA', block: 2 }]);
    expect(s.receive({ op: 'ACK', block: 1 })).toEqual([]);
    expect(s.receive({ op: 'ACK', block: 0 })).toEqual([]);
    const t1 = s.timeout();
    expect(sends(t1)).toMatchObject([{ op: 'DATA', block: 2 }]);
    expect(t1.at(-1)).toEqual({ type: 'arm', ms: 2000 });
    expect(s.timeout().at(-1)).toEqual({ type: 'arm', ms: 4000 });
    expect(s.stats.duplicateAcks).toBe(2);
  });

  it('windowsize: sends a window, restarts at ACK+1 after a gap', () => {
    const s = new TftpSender({ ...opts, windowsize: 4, source: source(8 * 10 + 3), oack: [['windowsize', '4']] });
    expect(sends(s.start())).toMatchObject([{ op: 'OACK' }]);
    expect(sends(s.receive({ op: 'ACK', block: 0 })).map((p) => p?.op === 'DATA' && p.block)).toEqual([1, 2, 3, 4]);
    // Receiver saw 1,2 then a gap: ACK 2 → resend from 3.
    expect(sends(s.receive({ op: 'ACK', block: 2 })).map((p) => p?.op === 'DATA' && p.block)).toEqual([3, 4, 5, 6]);
    expect(s.receive({ op: 'ACK', block: 2 })).toEqual([]);
    expect(sends(s.receive({ op: 'ACK', block: 6 })).map((p) => p?.op === 'DATA' && p.block)).toEqual([7, 8, 9, 10]);
    expect(sends(s.receive({ op: 'ACK', block: 10 })).map((p) => p?.op === 'DATA' && p.data.length)).toEqual([3]);
    expect(s.receive({ op: 'ACK', block: 11 }).at(-1)).toMatchObject({ type: 'finish', outcome: { status: 'complete' } });
  });

  it("accepts the Pi's 'Early terminate' after the OACK as a client abort", () => {
    const s = new TftpSender({ ...opts, source: source(5000), oack: [['tsize', '5000']] });
    s.start();
    const a = s.receive({ op: 'ERROR', code: 0, message: 'Early terminate' });
    expect(sends(a)).toEqual([]);
    expect(a.at(-1)).toEqual({ type: 'finish', outcome: { status: 'client-abort', code: 0, message: 'Early terminate', afterOack: true } });
  });

  it('gives up after maxRetries timeouts', () => {
    const s = new TftpSender({ ...opts, source: source(10) });
    s.start();
    for (let i = 0; i < 3; i++) s.timeout();
    expect(s.timeout().at(-1)).toMatchObject({ type: 'finish', outcome: { status: 'failed', reason: 'timeout' } });
  });
});

describe('receiver', () => {
  it('ACKs every window and the last block, re-ACKs after a gap, hands bytes in order', () => {
    const got: number[] = [];
    const r = new TftpReceiver({ sink: (c) => got.push(...c), blksize: 2, windowsize: 2, oack: [['windowsize', '2']], retransmitMs: 1000, maxRetransmitMs: 4000, maxRetries: 3, maxBytes: 100 });
    expect(sends(r.start())).toMatchObject([{ op: 'OACK' }]);
    expect(sends(r.receive({ op: 'DATA', block: 1, data: Uint8Array.of(1, 2) }))).toEqual([]);
    expect(sends(r.receive({ op: 'DATA', block: 3, data: Uint8Array.of(5, 6) }))).toEqual([{ op: 'ACK', block: 1 }]);
    expect(sends(r.receive({ op: 'DATA', block: 2, data: Uint8Array.of(3, 4) }))).toEqual([{ op: 'ACK', block: 2 }]);
    const end = r.receive({ op: 'DATA', block: 3, data: Uint8Array.of(5) });
    expect(sends(end)).toEqual([{ op: 'ACK', block: 3 }]);
    expect(end.at(-1)).toEqual({ type: 'finish', outcome: { status: 'complete', bytes: 5 } });
    expect(got).toEqual([1, 2, 3, 4, 5]);
  });
  it('refuses an upload over the size cap with ERROR 3', () => {
    const r = new TftpReceiver({ sink: () => {}, blksize: 4, windowsize: 1, retransmitMs: 1, maxRetransmitMs: 1, maxRetries: 1, maxBytes: 6 });
    r.start();
    r.receive({ op: 'DATA', block: 1, data: new Uint8Array(4) });
    expect(sends(r.receive({ op: 'DATA', block: 2, data: new Uint8Array(4) }))).toMatchObject([{ op: 'ERROR', code: 3 }]);
  });
});
