import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyBoot, type BootSpec } from '../../src/console/boot-verifier.js';
import { ConsoleSession } from '../../src/console/console-session.js';
import { FailurePatternError } from '../../src/console/console-errors.js';
import { openRawLogFile } from '../../src/console/log-files.js';
import { openSerialPortLink } from '../../src/transports/node/serialport-link.js';
import type { SerialLink } from '../../src/transports/serial-link.js';
import { hasSocat, sleep, startPtyPair, waitFor, type PtyPair } from './helpers/pty-pair.js';

const SOCAT = await hasSocat();

/** A scripted boot: what an OpenSBI + payload boot prints, with CRLF line ends as a UART sends them. */
const BOOT = [
  'OpenSBI v1.3',
  'Platform Name             : riscv-virtio,qemu',
  'Boot HART ID              : 0',
  'BOARDKIT stage=payload board=qemu-riscv64-virt nonce=5eed',
  'BOARDKIT driver=uart status=ok detail=ns16550a@0x10000000',
  'BOARDKIT driver=gpio status=ok detail=sifive-gpio@0x10060000',
  'BOARDKIT result=pass',
];

const SPEC: BootSpec = {
  markers: [
    { stage: 'firmware', pattern: 'OpenSBI v\\d', timeoutMs: 2000 },
    { stage: 'payload', pattern: 'BOARDKIT stage=payload', timeoutMs: 2000 },
    { stage: 'done', pattern: 'BOARDKIT result=pass', timeoutMs: 2000 },
  ],
  expectedSets: [{ name: 'drivers', items: [{ name: 'uart', pattern: 'driver=uart status=ok' }, { name: 'gpio', pattern: 'driver=gpio status=ok' }] }],
  failures: [
    { name: 'panic', pattern: 'Kernel panic|panic:' },
    { name: 'unexpected-reset', pattern: 'OpenSBI v\\d', after: 'payload' },
  ],
};

describe.skipIf(!SOCAT)('console over socat ptys with real serialport', () => {
  let dir: string;
  let pair: PtyPair | undefined;
  let link: SerialLink | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'boardkit-pty-'));
    pair = await startPtyPair(dir);
  });
  afterEach(async () => {
    await link?.close();
    link = undefined;
    await pair?.stop();
    pair = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function attach(): Promise<ConsoleSession> {
    link = await openSerialPortLink(pair!.a, { baudRate: 115200 });
    return ConsoleSession.attach(link);
  }

  async function play(lines: string[], gapMs = 15): Promise<void> {
    for (const l of lines) {
      pair!.write(`${l}\r\n`);
      await sleep(gapMs);
    }
  }

  it('passes a scripted boot log', async () => {
    const session = await attach();
    const run = verifyBoot(session, SPEC);
    await play(BOOT);
    const r = await run;
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.timeline.map((s) => s.stage)).toEqual(['firmware', 'payload', 'done']);
    expect(r.timeline[2]!.atMs).toBeGreaterThanOrEqual(r.timeline[0]!.atMs);
    expect(r.reports.find((x) => x.fields.driver === 'gpio')?.fields.detail).toBe('sifive-gpio@0x10060000');
  });

  it('fails the same log with a panic at the stage it happened in', async () => {
    const session = await attach();
    const run = verifyBoot(session, SPEC);
    await play([...BOOT.slice(0, 4), 'Kernel panic - not syncing: Attempted to kill init!', ...BOOT.slice(4)]);
    const r = await run;
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ kind: 'failure-pattern', subject: 'panic', stage: 'done' });
    expect(r.timeline.map((s) => s.stage)).toEqual(['firmware', 'payload']);
    expect(r.tail).toContain('Kernel panic - not syncing: Attempted to kill init!');
  });

  it('catches a failure pattern that arrives while no expect is pending', async () => {
    const session = await attach();
    session.failOn([{ name: 'panic', pattern: 'Kernel panic' }]);
    await play(['OpenSBI v1.3', 'Kernel panic - not syncing: oops']);
    await waitFor(() => session.failure !== undefined, 3000, 'the failure to be noticed');
    expect(session.failure?.line).toBe('Kernel panic - not syncing: oops');
    await expect(session.expect('BOARDKIT result=pass', { timeoutMs: 1000 })).rejects.toBeInstanceOf(FailurePatternError);
  });

  it('fails a log that stops with a timeout naming the missing marker', async () => {
    const session = await attach();
    const run = verifyBoot(session, { ...SPEC, markers: SPEC.markers.map((m) => ({ ...m, timeoutMs: 300 })) });
    await play(BOOT.slice(0, 3));
    const r = await run;
    expect(r.failure).toMatchObject({ kind: 'marker-timeout', stage: 'payload', subject: 'BOARDKIT stage=payload' });
    expect(r.failure?.message).toContain("stage 'payload' not reached");
    expect(r.tail.at(-1)).toBe('Boot HART ID              : 0');
  });

  it('matches a marker split across two reads, one with ANSI colour inside, and output written before the first expect', async () => {
    const session = await attach();
    pair!.write('early: OpenSBI v1.3\r\n');
    await sleep(200); // arrives and sits in the log before anyone expects it
    expect((await session.expect('OpenSBI v\\d', { timeoutMs: 1000 })).line).toBe('early: OpenSBI v1.3');
    const split = session.expect('Starting kernel \\.\\.\\.', { timeoutMs: 2000 });
    pair!.write('Starting ker');
    await sleep(100); // a separate read on the host side
    pair!.write('nel ...\r\n');
    expect((await split).text).toBe('Starting kernel ...');
    const coloured = session.expect('Linux version \\d', { timeoutMs: 2000 });
    pair!.write('\x1b[1;32mLinux \x1b[0mver\x1b[33msion\x1b[0m 6.6.0\r\n');
    expect((await coloured).line).toBe('Linux version 6.6.0');
  });

  it('reopens a pty that is closed and recreated mid-boot; lines appear once, in order, and the gap is logged', async () => {
    link = await openSerialPortLink(pair!.a, { reconnect: { pollMs: 20, giveUpMs: 10_000 } });
    const session = ConsoleSession.attach(link);
    const logPath = join(dir, 'console.log');
    const logFile = openRawLogFile(logPath);
    session.subscribe(logFile);
    const events: string[] = [];
    session.subscribe({ entry: (e) => void (e.kind === 'event' && events.push(e.event.type)) });

    for (let i = 0; i < 20; i++) {
      pair!.write(`line ${i}\r\n`);
      await sleep(5);
    }
    await waitFor(() => session.tail(1)[0] === 'line 19', 3000, 'line 19');
    await pair!.stop();
    await waitFor(() => events.includes('lost'), 3000, 'the link to notice the pty vanished');
    await sleep(150);
    pair = await startPtyPair(dir);
    // The device keeps talking as soon as its side exists; lines before our reopen may be lost
    // (serialport flushes at open), lines after it must all arrive.
    let i = 20;
    let firstAfterReopen = -1;
    while (i < 200) {
      pair.write(`line ${i}\r\n`);
      if (firstAfterReopen < 0 && events.includes('reopened')) firstAfterReopen = i;
      i++;
      await sleep(5);
      if (firstAfterReopen >= 0 && i > firstAfterReopen + 20) break;
    }
    expect(firstAfterReopen).toBeGreaterThan(0);
    const last = i - 1;
    await waitFor(() => session.tail(1)[0] === `line ${last}`, 3000, `line ${last}`);

    const seen = session
      .textBetween(0)
      .split('\n')
      .filter((l) => l.startsWith('line '))
      .map((l) => Number(l.slice(5)));
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeGreaterThan(seen[k - 1]!); // once, in order
    for (let k = 0; k < 20; k++) expect(seen).toContain(k);
    for (let k = firstAfterReopen; k <= last; k++) expect(seen).toContain(k);
    expect(events.slice(0, 2)).toEqual(['lost', 'reopened']);

    await link.close();
    await logFile.close();
    const log = readFileSync(logPath, 'utf8');
    expect(log).toMatch(/\[boardkit\] link lost .*\n/);
    expect(log).toMatch(/\[boardkit\] link reopened at .*ttyA after a gap of \d+ ms/);
    expect(log.indexOf('line 19\r\n')).toBeLessThan(log.indexOf('[boardkit] link lost'));
    expect(log.indexOf('[boardkit] link reopened')).toBeLessThan(log.indexOf(`line ${last}\r\n`));
  });

  it('holds an exclusive lock while open and releases it on close', async () => {
    const first = await openSerialPortLink(pair!.a);
    await expect(openSerialPortLink(pair!.a)).rejects.toMatchObject({ code: 'E_SERIAL_BUSY' });
    await first.close();
    link = await openSerialPortLink(pair!.a);
    expect(link.state).toBe('open');
  });
});
