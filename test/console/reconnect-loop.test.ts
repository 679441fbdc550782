import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../../src/core/clock.js';
import { ReconnectLoop, type ReconnectLoopOptions } from '../../src/transports/reconnect-loop.js';
import type { SerialLinkEvent } from '../../src/transports/serial-link.js';

/**
 * The lost → poll → reopened / give-up lifecycle shared by the serialport and TCP links, on a
 * manual clock. Each attempt may "take time" (skew), as a TCP connect up to its timeout does.
 */
function setup(options: Partial<ReconnectLoopOptions> & Pick<ReconnectLoopOptions, 'attemptOpen'>) {
  const manual = new ManualClock();
  const skew = { ms: 0 };
  const clock: Clock = { now: () => manual.now() + skew.ms, setTimeout: (fn, ms) => manual.setTimeout(fn, ms) };
  const loop = new ReconnectLoop({
    clock,
    reconnect: { pollMs: 100, giveUpMs: 1000 },
    giveUpError: (gapMs) => new Error(`gone for ${gapMs} ms`),
    measureGap: 'after-attempt',
    ...options,
  });
  const events: SerialLinkEvent[] = [];
  loop.setReader({ data: () => {}, event: (e) => events.push(e) });
  const step = async (ms: number) => {
    manual.advance(ms);
    await new Promise((r) => setImmediate(r));
  };
  return { manual, skew, loop, events, step };
}

const notBack = () => Promise.reject(new Error('ENOENT'));

describe('ReconnectLoop', () => {
  it('reports lost, polls until the device is back, then reopened with the gap', async () => {
    let attempts = 0;
    const t = setup({
      attemptOpen: async () => {
        if (++attempts < 3) throw new Error('ENOENT');
        t.loop.opened();
        return '/dev/ttyX';
      },
    });
    t.loop.opened();
    t.loop.lost('port closed', () => new Error('unused'));
    expect(t.loop.state).toBe('reconnecting');
    for (let i = 0; i < 3; i++) await t.step(100);
    expect(attempts).toBe(3);
    expect(t.loop.state).toBe('open');
    expect(t.events).toEqual([
      { type: 'lost', reason: 'port closed' },
      { type: 'reopened', path: '/dev/ttyX', gapMs: 300 },
    ]);
    expect(t.manual.pending()).toBe(0);
  });

  it('gives up after giveUpMs, reading the gap before or after each attempt as configured', async () => {
    const run = async (measureGap: ReconnectLoopOptions['measureGap']) => {
      let attempts = 0;
      const t = setup({
        measureGap,
        attemptOpen: () => {
          attempts++;
          t.skew.ms += 300; // a slow, failing connect
          return notBack();
        },
      });
      t.loop.lost('connection closed', () => new Error('unused'));
      for (let i = 0; i < 10 && t.loop.state !== 'closed'; i++) await t.step(100);
      const closed = t.events.at(-1);
      return { attempts, message: closed?.type === 'closed' ? closed.error?.message : undefined, pending: t.manual.pending() };
    };
    // Gap at poll k (manual time 100k, skew 300(k-1) before the attempt): 100, 500, 900, 1300.
    expect(await run('before-attempt')).toEqual({ attempts: 4, message: 'gone for 1300 ms', pending: 0 });
    // Read after the attempt (skew 300k): 400, 800, 1200.
    expect(await run('after-attempt')).toEqual({ attempts: 3, message: 'gone for 1200 ms', pending: 0 });
  });

  it('close() during an attempt stops polling and delivers closed exactly once', async () => {
    let release!: () => void;
    const t = setup({ attemptOpen: () => new Promise<string | undefined>((_, reject) => (release = () => reject(new Error('refused')))) });
    t.loop.lost('connection closed', () => new Error('unused'));
    await t.step(100);
    expect(t.loop.beginClose()).toBe(true);
    expect(t.loop.beginClose()).toBe(false);
    expect(t.loop.closing).toBe(true);
    release();
    await t.step(5000);
    t.loop.finish();
    t.loop.finish(new Error('late'));
    expect(t.events).toEqual([{ type: 'lost', reason: 'connection closed' }, { type: 'closed' }]);
    expect(t.manual.pending()).toBe(0);
  });

  it('an attempt that reports nothing (device lost again, or closing) ends that poll quietly', async () => {
    const t = setup({ attemptOpen: async () => undefined });
    t.loop.lost('port closed', () => new Error('unused'));
    await t.step(100);
    expect(t.events).toEqual([{ type: 'lost', reason: 'port closed' }]);
    expect(t.manual.pending()).toBe(0);
  });

  it('with reconnect disabled, a loss closes the link with the device error and no lost event', async () => {
    const t = setup({ reconnect: { enabled: false }, attemptOpen: notBack });
    t.loop.opened();
    t.loop.lost('port closed', () => new Error('serial port X disappeared'));
    expect(t.loop.state).toBe('closed');
    expect(t.events).toEqual([{ type: 'closed', error: new Error('serial port X disappeared') }]);
    t.loop.lost('port closed again', () => new Error('twice'));
    expect(t.events).toHaveLength(1);
  });
});
