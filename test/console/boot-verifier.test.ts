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

describe('verifyBoot: failure patterns stay armed until the run ends', () => {
  const KERNEL: BootSpec = {
    markers: [
      { stage: 'firmware', pattern: 'OpenSBI v\\d', timeoutMs: 2000 },
      { stage: 'payload', pattern: 'BOARDKIT stage=payload', timeoutMs: 3000 },
    ],
    failures: [{ name: 'linux-panic', pattern: 'Kernel panic - not syncing' }],
    end: { settleMs: 1000 },
  };

  it('a fault 300 ms after the last marker fails the boot (settle window)', async () => {
    const { link, clock, session } = setup();
    const run = verifyBoot(session, KERNEL);
    link.feed('OpenSBI v1.3\r\nhello\r\n');
    await tick();
    clock.advance(300);
    link.feed('BOARDKIT stage=payload board=x nonce=1\r\n');
    await tick();
    clock.advance(300);
    link.feed('BOARDKIT fault pc=0x80200010 addr=0x0 cause=0xd\r\n');
    await tick();
    clock.advance(2000);
    const r = await run;
    expect(r.ok).toBe(false);
    expect(r.failure?.kind).toBe('fault');
    expect(r.failure?.line).toContain('cause=0xd');
  });

  it('a started report runs to its result= line: result=fail and status=fail after the last marker fail', async () => {
    for (const lines of ['BOARDKIT driver=storage status=fail detail=x\r\nBOARDKIT result=fail\r\n', 'BOARDKIT result=fail\r\n']) {
      const { link, clock, session } = setup();
      const run = verifyBoot(session, { ...KERNEL, end: { settleMs: 0 } });
      link.feed('OpenSBI v1.3\r\nBOARDKIT stage=payload board=x nonce=1\r\n');
      await tick();
      clock.advance(5000); // long after the last marker: the report has not ended, so the run has not
      link.feed(lines);
      await tick();
      const r = await run;
      expect(r.ok, lines).toBe(false);
      expect(r.failure?.kind).toBe('report-fail');
      expect(r.end.resultLine).toBe(true);
    }
  });

  it('a report without its result= line fails at the end timeout, naming what it waited for', async () => {
    const { link, clock, session } = setup();
    const run = verifyBoot(session, { ...KERNEL, end: { settleMs: 0, timeoutMs: 4000 } });
    link.feed('OpenSBI v1.3\r\nBOARDKIT stage=payload board=x nonce=1\r\n');
    await tick();
    clock.advance(4001);
    const r = await run;
    expect(r.failure?.kind).toBe('marker-timeout');
    expect(r.failure?.stage).toBe('result');
  });

  it('a panic line among the payload output fails at once', async () => {
    const { link, clock, session } = setup();
    const run = verifyBoot(session, KERNEL);
    link.feed('OpenSBI v1.3\r\nBOARDKIT stage=payload board=x nonce=1\r\nBOARDKIT driver=uart status=ok\r\n');
    await tick();
    clock.advance(100);
    link.feed('Kernel panic - not syncing: VFS\r\n');
    await tick();
    const r = await run;
    expect(r.failure?.kind).toBe('failure-pattern');
    expect(r.failure?.subject).toBe('linux-panic');
    expect(r.failure?.atMs).toBe(100);
  });

  it('a clean boot passes once the settle window is over, and says which end applied', async () => {
    const { link, clock, session } = setup();
    let settled = false;
    const run = verifyBoot(session, KERNEL).then((r) => ((settled = true), r));
    link.feed('OpenSBI v1.3\r\nBOARDKIT stage=payload board=x nonce=1\r\nBOARDKIT result=pass\r\n');
    for (let i = 0; i < 5; i++) await tick();
    clock.advance(999);
    await tick();
    expect(settled).toBe(false);
    clock.advance(2);
    const r = await run;
    expect(r.ok).toBe(true);
    expect(r.end).toEqual({ resultLine: true, settleMs: 1000 }); // the report had begun: its result= line ended it
  });

  it('the first stage timer starts at the first byte; silence is reported as no output', async () => {
    const { link, clock, session } = setup();
    const run = verifyBoot(session, KERNEL, { powerOnTimeoutMs: 60_000 });
    clock.advance(30_000); // longer than the first stage's 2 s: the board is not powered yet
    await tick();
    link.feed('OpenSBI v1.3\r\nBOARDKIT stage=payload\r\nBOARDKIT result=pass\r\n');
    for (let i = 0; i < 5; i++) await tick();
    clock.advance(1000);
    const ok = await run;
    expect(ok.ok).toBe(true);

    const s2 = setup();
    const silent = verifyBoot(s2.session, KERNEL, { powerOnTimeoutMs: 5000 });
    s2.clock.advance(5001);
    const r = await silent;
    expect(r.failure?.kind).toBe('no-output');
    expect(r.received).toBe(false);
    expect(r.failure?.message).toContain('nothing was received');
  });

  it('a run time limit names the stage it was waiting for and how long it waited', async () => {
    const { link, clock, session } = setup();
    const ac = new AbortController();
    const run = verifyBoot(session, KERNEL, { signal: ac.signal });
    link.feed('OpenSBI v1.3\r\n');
    await tick();
    clock.advance(700);
    ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    const r = await run;
    expect(r.failure?.kind).toBe('run-timeout');
    expect(r.failure?.message).toMatch(/time limit ran out after 700 ms while waiting for stage 'payload' \(\/BOARDKIT stage=payload\/\)/);
  });
});
