import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConsoleSession } from '../console/console-session.js';
import { describeEvent, openTimestampedLogFile, type ConsoleLogFile } from '../console/log-files.js';
import { formatClockTime, LineAssembler } from '../console/line-assembler.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import type { SerialLink } from '../transports/serial-link.js';

/**
 * Several consoles at once: every line goes to `onLine` prefixed with the device name and time,
 * and to one timestamped log file per device in `logDir`. Runs until the signal aborts or every
 * link has closed; links are closed (locks released) before it returns.
 */
export interface MonitorPort {
  name: string;
  link: SerialLink;
}

export interface MonitorOptions {
  ports: MonitorPort[];
  logDir?: string;
  onLine: (line: string) => void;
  signal?: AbortSignal;
  clock?: Clock;
  /** Show an unfinished line (a prompt) after this much quiet, in ms. Default 500. */
  partialLineMs?: number;
}

export interface MonitorResult {
  logFiles: Record<string, string>;
  lines: Record<string, number>;
}

/** A short, file-name-safe, unique name per console address. */
export function monitorNames(specs: readonly string[]): string[] {
  const used = new Map<string, number>();
  return specs.map((spec) => {
    const base = (spec.startsWith('tcp:') ? spec.replace(/:/g, '-') : basename(spec)).replace(/[^\w.-]/g, '_') || 'console';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

export async function runMonitor(options: MonitorOptions): Promise<MonitorResult> {
  if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  const width = Math.max(...options.ports.map((p) => p.name.length));
  const logFiles: Record<string, string> = {};
  const lines: Record<string, number> = {};
  const files: ConsoleLogFile[] = [];
  const sessions: ConsoleSession[] = [];
  let open = options.ports.length;
  let allClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (allClosed = resolve));

  for (const port of options.ports) {
    const session = ConsoleSession.attach(port.link, options.clock ? { clock: options.clock } : {});
    sessions.push(session);
    lines[port.name] = 0;
    if (options.logDir) {
      const file = openTimestampedLogFile(join(options.logDir, `${port.name}.log`));
      logFiles[port.name] = file.path;
      files.push(file);
      session.subscribe(file);
    }
    const assembler = new LineAssembler();
    const clock = options.clock ?? systemClock;
    let partialTimer: TimerHandle | undefined;
    const show = (text: string, wall: number): void => {
      options.onLine(`[${port.name.padEnd(width)} ${formatClockTime(wall)}] ${text}`);
    };
    session.subscribe({
      text(text, _t, wall) {
        for (const l of assembler.push(text, wall)) {
          lines[port.name]!++;
          show(l.text, l.wall);
        }
        // A prompt ("login: ", "=> ") has no newline; show it once the board goes quiet.
        partialTimer?.cancel();
        partialTimer = clock.setTimeout(() => {
          const rest = assembler.flush();
          if (rest) show(rest.text, rest.wall);
        }, options.partialLineMs ?? 500);
      },
      entry(e) {
        if (e.kind !== 'event') return;
        const text = describeEvent(e.event);
        if (text) show(text, e.wall);
        if (e.event.type === 'closed') {
          partialTimer?.cancel();
          if (--open === 0) allClosed();
        }
      },
    });
  }

  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) return resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
    void closed.then(resolve);
  });
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(files.map((f) => f.close()));
  return { logFiles, lines };
}
