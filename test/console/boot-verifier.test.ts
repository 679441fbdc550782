import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { verifyBoot, type BootSpec } from '../../src/console/boot-verifier.js';
import { ConsoleSession } from '../../src/console/console-session.js';
import { UnboundedPatternError } from '../../src/console/console-errors.js';
import { FakeSerialLink } from '../../src/transports/fake/fake-serial-link.js';

const SPEC: BootSpec = {
  markers: [
    { stage: 'firmware', pattern: 'OpenSBI v\\d', timeoutMs: 2000 },
    { stage: 'payload', pattern: 'BOARDKIT stage=payload', timeoutMs: 3000 },
    { stage: 'done', pattern: 'BOARDKIT result=pass', timeoutMs: 5000 },
  ],
  expectedSets: [
    {
      name: 'drivers',
      items: [
        { name: 'uart', pattern: 'BOARDKIT driver=uart status=ok' },
        { name: 'gpio', pattern: 'BOARDKIT driver=gpio status=ok' },
      ],
    },
  ],
  failures: [
    { name: 'panic', pattern: 'panic' },
    { name: 'unexpected-reset', pattern: 'OpenSBI v\\d', after: 'payload' },
  ],
};

function setup(): { link: FakeSerialLink; clock: ManualClock; session: ConsoleSession } {
  const link = new FakeSerialLink();
  const clock = new ManualClock();
  return { link, clock, session: ConsoleSession.attach(link, { clock }) };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('verifyBoot', () => {
  it('passes a complete boot and records the timeline and report lines', async () => {
    const { link, clock, session } = setup();
    const run = verifyBoot(session, SPEC);
    clock.advance(100);
    link.feed('OpenSBI v1.3\r\n');
    await tick();
    clock.advance(400);
    link.feed('BOARDKIT stage=payload board=x nonce=42\r\nBOARDKIT driver=gpio status=ok detail=pl061@0x9030000\r\n');
    await tick();
    clock.advance(500);
    link.feed('BOARDKIT driver=uart status=ok\r\nBOARDKIT result=pass\r\n');
    const r = await run;
    expect(r.ok).toBe(true);
    expect(r.timeline).toEqual([
      { stage: 'firmware', atMs: 100, line: 'OpenSBI v1.3' },
      { stage: 'payload', atMs: 500, line: 'BOARDKIT stage=payload board=x nonce=42' },
      { stage: 'done', atMs: 1000, line: 'BOARDKIT result=pass' },
    ]);
    expect(r.reports.map((x) => x.fields)).toContainEqual({ driver: 'gpio', status: 'ok', detail: 'pl061@0x9030000' });
    expect(r.seen.drivers?.sort()).toEqual(['gpio', 'uart']);
  });

  it('fails with marker-timeout naming the stage, scaled by the multiplier', async () => {
    const { link, clock, session } = setup();
    const run = verifyBoot(session, SPEC, { timeoutMultiplier: 3 });
    link.feed('OpenSBI v1.3\n');
    await tick();
    clock.advance(8999);
    await tick();
    clock.advance(1);
    const r = await run;
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ kind: 'marker-timeout', stage: 'payload' });
    expect(r.failure?.message).toContain('9000 ms');
    expect(r.tail).toEqual(['OpenSBI v1.3']);
  });

  it('fails at once on a report status=fail, on a fault, and on a missing expected item', async () => {
    for (const [line, kind] of [
      ['BOARDKIT driver=gpio status=fail detail=no-edge', 'report-fail'],
      ['BOARDKIT fault pc=0x80001234 cause=7', 'fault'],
    ] as const) {
      const { link, session } = setup();
      const run = verifyBoot(session, SPEC);
      link.feed(`OpenSBI v1.3\nBOARDKIT stage=payload\n${line}\n`);
      const r = await run;
      expect(r.failure).toMatchObject({ kind, stage: 'done', line });
    }
    const { link, session } = setup();
    const run = verifyBoot(session, SPEC);
    link.feed('OpenSBI v1.3\nBOARDKIT stage=payload\nBOARDKIT driver=uart status=ok\nBOARDKIT result=pass\n');
    const r = await run;
    expect(r.failure).toMatchObject({ kind: 'expected-missing', stage: 'done' });
    expect(r.missing).toEqual({ drivers: ['gpio'] });
  });

  it('arms "after" failures only once their stage is reached (a banner after the payload = reset)', async () => {
    const { link, session } = setup();
    const run = verifyBoot(session, SPEC);
    link.feed('OpenSBI v1.3\nBOARDKIT stage=payload\nBOARDKIT driver=uart status=ok\nOpenSBI v1.3\n');
    const r = await run;
    expect(r.failure).toMatchObject({ kind: 'failure-pattern', subject: 'unexpected-reset', stage: 'done', line: 'OpenSBI v1.3' });
    expect(r.timeline.map((s) => s.stage)).toEqual(['firmware', 'payload']);
  });

  it('reports link-lost when the console goes away for good', async () => {
    const { link, session } = setup();
    const run = verifyBoot(session, SPEC);
    link.feed('OpenSBI v1.3\n');
    await tick();
    link.disconnect();
    link.fail();
    expect((await run).failure).toMatchObject({ kind: 'link-lost', stage: 'payload' });
  });

  it('rejects a spec with an unbounded pattern before waiting', async () => {
    const { session } = setup();
    await expect(verifyBoot(session, { markers: [{ stage: 'x', pattern: 'login.*', timeoutMs: 1 }], failures: [] })).rejects.toBeInstanceOf(UnboundedPatternError);
  });
});

describe('verifyBoot start position', () => {
  it("counts output that arrived before the call by default, and only later output with from: 'end'", async () => {
    const link = new FakeSerialLink();
    link.feed('OpenSBI v1.3\n'); // buffered by the link before the session attaches
    const clock = new ManualClock();
    const session = ConsoleSession.attach(link, { clock });
    const spec: BootSpec = { markers: [{ stage: 'firmware', pattern: 'OpenSBI v\\d', timeoutMs: 100 }], failures: [] };
    expect((await verifyBoot(session, spec)).ok).toBe(true);
    const later = verifyBoot(session, spec, { from: 'end' });
    clock.advance(100);
    expect((await later).failure?.kind).toBe('marker-timeout');
  });
});
