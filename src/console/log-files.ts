import { createWriteStream, type WriteStream } from 'node:fs';
import type { ConsoleListener } from './console-session.js';
import type { ConsoleEvent } from './console-store.js';
import { formatClockTime, LineAssembler } from './line-assembler.js';

/**
 * Console log files. `raw` keeps the device's bytes unchanged (ANSI colours included), with link
 * events on lines of their own; `timestamped` writes normalised lines prefixed with the wall time
 * (and optionally a device name). Both mark a gap when the link was lost and reopened.
 */
export interface ConsoleLogFile extends ConsoleListener {
  readonly path: string;
  close(): Promise<void>;
}

export function describeEvent(e: ConsoleEvent): string | undefined {
  switch (e.type) {
    case 'lost':
      return `[boardkit] link lost (${e.reason}); waiting for the device to come back`;
    case 'reopened':
      return `[boardkit] link reopened at ${e.path} after a gap of ${Math.round(e.gapMs)} ms; output during the gap was not seen`;
    case 'closed':
      return e.error ? `[boardkit] link closed: ${e.error}` : undefined;
    case 'sent':
      return undefined;
  }
}

/**
 * Ends the stream; rejects with the first error it had (a write error never goes unhandled: an
 * 'error' event without a listener would end the process with a stack trace).
 */
function closeStream(stream: WriteStream): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (stream as WriteStream & { boardkitError?: Error }).boardkitError;
    if (failed) return reject(failed);
    stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

function openLogStream(path: string): WriteStream {
  const stream = createWriteStream(path, { flags: 'a' });
  stream.on('error', (err) => {
    const s = stream as WriteStream & { boardkitError?: Error };
    s.boardkitError ??= err;
  });
  return stream;
}

export function openRawLogFile(path: string): ConsoleLogFile {
  const stream = openLogStream(path);
  let atLineStart = true;
  return {
    path,
    entry(e) {
      if (e.kind === 'data') {
        stream.write(e.bytes);
        const last = e.bytes[e.bytes.length - 1];
        atLineStart = last === 0x0a || last === 0x0d;
      } else {
        const text = describeEvent(e.event);
        if (text) {
          stream.write(`${atLineStart ? '' : '\n'}${text} ${new Date(e.wall).toISOString()}\n`);
          atLineStart = true;
        }
      }
    },
    close: () => closeStream(stream),
  };
}

export function openTimestampedLogFile(path: string, options: { name?: string } = {}): ConsoleLogFile {
  const stream = openLogStream(path);
  const lines = new LineAssembler();
  const prefix = (wall: number): string => `[${options.name ? `${options.name} ` : ''}${formatClockTime(wall)}] `;
  return {
    path,
    text(text, _t, wall) {
      for (const l of lines.push(text, wall)) stream.write(`${prefix(l.wall)}${l.text}\n`);
    },
    entry(e) {
      if (e.kind !== 'event') return;
      const text = describeEvent(e.event);
      if (text) stream.write(`${prefix(e.wall)}${text}\n`);
    },
    close: async () => {
      const rest = lines.flush();
      if (rest) stream.write(`${prefix(rest.wall)}${rest.text}\n`);
      await closeStream(stream);
    },
  };
}
