import type { Clock } from '../core/clock.js';
import { ConsoleSession } from '../console/console-session.js';
import { describeEvent, openRawLogFile, openTimestampedLogFile, type ConsoleLogFile } from '../console/log-files.js';
import { formatClockTime } from '../console/line-assembler.js';
import type { SerialLink } from '../transports/serial-link.js';

/**
 * The interactive console: bytes from the board go to the terminal (and the log), keys go to the
 * board, until the escape key (Ctrl-] by default, as telnet and picocom use). The caller puts the
 * terminal in raw mode so Ctrl-C, arrows and tab reach the board unchanged.
 */
export interface ConsoleTerminalOptions {
  link: SerialLink;
  /** Keystrokes (a raw-mode TTY stream, or any byte stream). */
  input: NodeJS.ReadableStream;
  /** Writes to the user's terminal. */
  write: (data: Uint8Array | string) => void;
  /** The byte that ends the session. Default 0x1d (Ctrl-]). */
  escapeByte?: number;
  logPath?: string;
  /** Prefix each line with the wall-clock time (terminal and log). */
  timestamps?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
}

export interface ConsoleTerminalResult {
  reason: 'escape' | 'input-ended' | 'link-closed' | 'aborted';
  bytesFromBoard: number;
  bytesToBoard: number;
  logPath?: string;
}

export const DEFAULT_ESCAPE_BYTE = 0x1d;

/** How to show an escape byte to the user: 0x1d → "Ctrl-]". */
export function escapeKeyName(byte: number): string {
  return byte < 0x20 ? `Ctrl-${String.fromCharCode(byte + 0x40)}` : `'${String.fromCharCode(byte)}'`;
}

export async function runConsoleTerminal(options: ConsoleTerminalOptions): Promise<ConsoleTerminalResult> {
  const escape = options.escapeByte ?? DEFAULT_ESCAPE_BYTE;
  const session = ConsoleSession.attach(options.link, options.clock ? { clock: options.clock } : {});
  let logFile: ConsoleLogFile | undefined;
  if (options.logPath) {
    logFile = options.timestamps ? openTimestampedLogFile(options.logPath) : openRawLogFile(options.logPath);
    session.subscribe(logFile);
  }
  let fromBoard = 0;
  let toBoard = 0;
  let atLineStart = true;
  session.subscribe({
    entry(e) {
      if (e.kind === 'data') {
        fromBoard += e.bytes.byteLength;
        if (!options.timestamps) options.write(e.bytes);
      } else {
        const text = describeEvent(e.event);
        if (text) {
          options.write(`${atLineStart ? '' : '\r\n'}${text}\r\n`);
          atLineStart = true;
        }
      }
    },
    text(text, _t, wall) {
      if (!options.timestamps) return;
      // Timestamped view: normalised lines (colour codes are dropped), each prefixed at its start.
      let out = '';
      for (const ch of text.split(/(\n)/)) {
        if (!ch) continue;
        if (ch === '\n') {
          out += '\r\n';
          atLineStart = true;
        } else {
          if (atLineStart) out += `[${formatClockTime(wall)}] `;
          out += ch;
          atLineStart = false;
        }
      }
      options.write(out);
    },
  });

  const reason = await new Promise<ConsoleTerminalResult['reason']>((resolve) => {
    let writes = Promise.resolve();
    const finish = (r: ConsoleTerminalResult['reason']): void => {
      options.input.off('data', onInput);
      options.input.off('end', onEnd);
      options.signal?.removeEventListener('abort', onAbort);
      closedWatch.dispose();
      void writes.then(() => resolve(r));
    };
    const send = (bytes: Uint8Array): void => {
      if (!bytes.length) return;
      toBoard += bytes.length;
      writes = writes.then(() => session.send(bytes)).catch((err: unknown) => {
        options.write(`\r\n[boardkit] not sent: ${err instanceof Error ? err.message : String(err)}\r\n`);
      });
    };
    const onInput = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const i = bytes.indexOf(escape);
      if (i < 0) return send(bytes);
      send(bytes.subarray(0, i));
      finish('escape');
    };
    const onEnd = (): void => finish('input-ended');
    const onAbort = (): void => finish('aborted');
    const closedWatch = session.subscribe({ entry: (e) => void (e.kind === 'event' && e.event.type === 'closed' && finish('link-closed')) });
    if (options.signal?.aborted) return finish('aborted');
    options.input.on('data', onInput);
    options.input.on('end', onEnd);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });

  await session.close();
  await logFile?.close();
  return { reason, bytesFromBoard: fromBoard, bytesToBoard: toBoard, ...(options.logPath ? { logPath: options.logPath } : {}) };
}
