import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { FakeSerialLink } from '../../src/transports/fake/fake-serial-link.js';
import { escapeKeyName, runConsoleTerminal } from '../../src/workflows/console-terminal.js';
import { monitorNames, runMonitor } from '../../src/workflows/monitor.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('console terminal workflow (fake link)', () => {
  it('sends keys up to the escape byte, shows board output and link gaps, and logs timestamped lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boardkit-term-'));
    try {
      const link = new FakeSerialLink('fake-uart');
      const input = new PassThrough();
      let screen = '';
      const log = join(dir, 't.log');
      const done = runConsoleTerminal({ link, input, write: (d) => (screen += typeof d === 'string' ? d : Buffer.from(d).toString()), logPath: log, timestamps: true });
      link.feed('U-Boot 2024.01\r\n=> ');
      input.write('help\r');
      await tick();
      link.disconnect('unplugged');
      link.reconnect(42);
      input.write(Buffer.from([0x76, 0x1d, 0x77])); // 'v', Ctrl-], 'w': 'w' must never reach the board
      const r = await done;
      expect(r.reason).toBe('escape');
      expect(link.writtenText()).toBe('help\rv');
      expect(screen).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] U-Boot 2024\.01\r\n\[\d\d:\d\d:\d\d\.\d{3}\] => \r\n\[boardkit\] link lost \(unplugged\)/);
      expect(screen).toContain('[boardkit] link reopened at fake-uart after a gap of 42 ms');
      const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
      expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] U-Boot 2024\.01$/);
      expect(lines[1]).toMatch(/\] => $/);
      expect(lines[2]).toContain('link lost (unplugged)');
      expect(escapeKeyName(0x1d)).toBe('Ctrl-]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('monitor workflow (fake links)', () => {
  it('names devices uniquely and stops on abort with per-device logs', async () => {
    expect(monitorNames(['/dev/serial/by-id/usb-FTDI_A-if00', 'tcp:localhost:4321', '/a/ttyUSB0', '/b/ttyUSB0'])).toEqual([
      'usb-FTDI_A-if00',
      'tcp-localhost-4321',
      'ttyUSB0',
      'ttyUSB0-2',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'boardkit-mon-'));
    try {
      const a = new FakeSerialLink('a');
      const b = new FakeSerialLink('b');
      const shown: string[] = [];
      const abort = new AbortController();
      const clock = new ManualClock();
      const done = runMonitor({ ports: [{ name: 'a', link: a }, { name: 'bb', link: b }], logDir: dir, onLine: (l) => shown.push(l), signal: abort.signal, clock });
      a.feed('one\r\n');
      b.feed('two\r\nthr');
      clock.advance(100);
      b.feed('ee\r\n');
      a.feed('login: ');
      clock.advance(499);
      expect(shown).toHaveLength(3);
      clock.advance(1); // the prompt shows once the board has been quiet for 500 ms
      abort.abort();
      const r = await done;
      expect(shown.map((l) => l.replace(/ \d\d:\d\d:\d\d\.\d{3}\]/, ']'))).toEqual(['[a ] one', '[bb] two', '[bb] three', '[a ] login: ']);
      expect(r.lines).toEqual({ a: 1, bb: 2 });
      expect(readFileSync(r.logFiles.bb!, 'utf8')).toMatch(/^\[[\d:.]{12}\] two\n\[[\d:.]{12}\] three\n$/);
      expect(a.state).toBe('closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
