import { describe, expect, it } from 'vitest';
import { AbortedError, TimeoutError } from '../../src/core/abort.js';
import { ManualClock } from '../../src/core/clock.js';
import { ExpectTimeoutError, FailurePatternError, LinkLostError, UnboundedPatternError } from '../../src/console/console-errors.js';
import { ConsoleSession } from '../../src/console/console-session.js';
import { FakeSerialLink } from '../../src/transports/fake/fake-serial-link.js';

function setup(): { link: FakeSerialLink; clock: ManualClock; session: ConsoleSession } {
  const link = new FakeSerialLink('fake0');
  const clock = new ManualClock();
  const session = ConsoleSession.attach(link, { clock, wallClock: () => 1_700_000_000_000 + clock.now() });
  return { link, clock, session };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ConsoleSession', () => {
  it('delivers bytes that arrived before attach and before the first expect', async () => {
    const link = new FakeSerialLink();
    link.feed('OpenSBI v1.3\r\n'); // before anyone reads
    const session = ConsoleSession.attach(link, { clock: new ManualClock() });
    link.feed('U-Boot 2024.01\r\n');
    const a = await session.expect('OpenSBI v\\d');
    const b = await session.expect('U-Boot 20\\d\\d');
    expect(a.line).toBe('OpenSBI v1.3');
    expect(b.start).toBeGreaterThan(a.end);
  });

  it('matches a marker split across reads and one with colour codes inside', async () => {
    const { link, session } = setup();
    const p = session.expect('Starting kernel \\.\\.\\.');
    link.feed('Start');
    link.feed('ing ker');
    await tick();
    link.feed('nel ...\r\n');
    expect((await p).text).toBe('Starting kernel ...');
    link.feed('\x1b[32mLinux \x1b[1mversion\x1b[0m 6.1\r\n');
    expect((await session.expect('Linux version \\d')).line).toBe('Linux version 6.1');
  });

  it('keeps cursors independent and ordered: each consumer sees each match once', async () => {
    const { link, session } = setup();
    link.feed('tick 1\ntick 2\ntick 3\n');
    const a = session.cursor();
    const b = session.cursor();
    expect((await a.expect('tick \\d')).text).toBe('tick 1');
    expect((await a.expect('tick \\d')).text).toBe('tick 2');
    expect((await b.expect('tick \\d')).text).toBe('tick 1');
    const late = session.cursor('end');
    const p = late.expect('tick \\d');
    link.feed('tick 4\n');
    expect((await p).text).toBe('tick 4');
    expect((await a.expect('tick \\d')).text).toBe('tick 3');
  });

  it('returns the earliest of several patterns, with groups', async () => {
    const { link, session } = setup();
    link.feed('=> \nlogin: \n');
    const m = await session.expect(['(\\w{1,16}) login:', 'login:', '=>']);
    expect(m.index).toBe(2);
    const n = await session.expect(['host(\\d{1,3}) login:', 'login:']);
    expect(n.index).toBe(1);
  });

  it('rejects unbounded patterns before waiting', async () => {
    const { session } = setup();
    await expect(session.expect('.*')).rejects.toBeInstanceOf(UnboundedPatternError);
  });

  it('times out on the injected clock with the last lines attached', async () => {
    const { link, clock, session } = setup();
    link.feed('U-Boot 2024.01\nHit any key\n');
    const p = session.expect('Starting kernel', { timeoutMs: 5000 });
    const settled = p.catch((e: unknown) => e);
    clock.advance(4999);
    await tick();
    link.feed('still booting\n');
    clock.advance(1);
    const err = (await settled) as ExpectTimeoutError;
    expect(err).toBeInstanceOf(ExpectTimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.details.tail).toEqual(['U-Boot 2024.01', 'Hit any key', 'still booting']);
  });

  it('honours an outer AbortSignal (layered timeouts)', async () => {
    const { session } = setup();
    const outer = new AbortController();
    const p = session.expect('never', { timeoutMs: 60_000, signal: outer.signal });
    outer.abort(new TimeoutError('run budget exhausted'));
    await expect(p).rejects.toThrow('run budget exhausted');
    const plain = new AbortController();
    const q = session.expect('never', { signal: plain.signal });
    plain.abort();
    await expect(q).rejects.toBeInstanceOf(AbortedError);
  });

  it('catches a failure pattern that arrives while no expect is pending', async () => {
    const { link, session } = setup();
    session.failOn([{ name: 'panic', pattern: 'Kernel panic - not syncing' }]);
    link.feed('Linux version 6.1\n[ 1.0] Kernel panic - not syncing: VFS\n');
    expect(session.failure?.name).toBe('panic');
    const err = await session.expect('login:').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailurePatternError);
    expect((err as FailurePatternError).line).toBe('[ 1.0] Kernel panic - not syncing: VFS');
  });

  it('orders within one read: a marker before the failure resolves, one after it does not', async () => {
    const { link, session } = setup();
    session.failOn([{ name: 'panic', pattern: 'Kernel panic' }]);
    const a = session.cursor();
    const b = session.cursor();
    const pa = a.expect('Linux version');
    const pb = b.expect('login:');
    link.feed('Linux version 6\nKernel panic\nlogin:\n');
    await expect(pa).resolves.toMatchObject({ text: 'Linux version' });
    await expect(pb).rejects.toBeInstanceOf(FailurePatternError);
  });

  it('marks a link gap without joining lines across it, and fails expects when the link is gone for good', async () => {
    const { link, clock, session } = setup();
    link.feed('before gap, no newline');
    link.disconnect('usb unplugged');
    link.reconnect(1234, '/dev/serial/by-id/usb-x');
    link.feed('after\n');
    expect(session.tail(5)).toEqual(['before gap, no newline', 'after']);
    const events = session.log().filter((e) => e.kind === 'event').map((e) => (e.kind === 'event' ? e.event.type : ''));
    expect(events).toEqual(['lost', 'reopened']);
    const across = session.expect('no newline\\s{0,2}after', { timeoutMs: 10 }).catch((e: unknown) => e);
    clock.advance(10);
    expect(await across).toBeInstanceOf(ExpectTimeoutError); // it would only match across the gap
  });

  it('rejects pending expects with LinkLostError when the link gives up', async () => {
    const { link, session } = setup();
    const p = session.expect('never');
    link.disconnect();
    link.fail();
    await expect(p).rejects.toBeInstanceOf(LinkLostError);
  });

  it('paces characters on the clock and logs what was sent', async () => {
    const { link, clock, session } = setup();
    const p = session.sendLine('boot', { charDelayMs: 10 });
    await tick();
    expect(link.writtenText()).toBe('b');
    for (let i = 0; i < 4; i++) {
      clock.advance(10);
      await tick();
    }
    await p;
    expect(link.writtenText()).toBe('boot\r');
    expect(session.log().some((e) => e.kind === 'event' && e.event.type === 'sent')).toBe(true);
  });

  it('settle waits for quiet and times out on a chatty console', async () => {
    const { link, clock, session } = setup();
    let settled = false;
    const p = session.settle({ quietMs: 100 }).then(() => (settled = true));
    clock.advance(60);
    link.feed('x');
    clock.advance(60);
    await tick();
    expect(settled).toBe(false);
    clock.advance(40);
    await p;
    expect(settled).toBe(true);
    link.feed('spam\n');
    const q = session.settle({ quietMs: 100, timeoutMs: 300 }).catch((e: unknown) => e);
    for (let i = 0; i < 6; i++) {
      link.feed('spam\n');
      clock.advance(60);
    }
    expect(await q).toBeInstanceOf(TimeoutError);
  });
});
