import { asBoardkitError, causeChain, type BoardkitError } from '../core/errors.js';

/** The only place that writes to the terminal; commands receive it through the context. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  json(value: unknown): void;
  readonly isTTY: boolean;
}

/**
 * A reader that goes away (`boardkit boards list | head`) is not an error: stop writing quietly,
 * as other command-line tools do, instead of crashing on EPIPE.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export const stdOutput: Output = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  json: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  isTTY: Boolean(process.stdout.isTTY),
};

/** Text form of an error: message, hint, then the cause chain. */
export function renderError(err: unknown): string {
  const e = asBoardkitError(err);
  const lines = [`error: ${e.message}`];
  if (e.hint) lines.push(`hint: ${e.hint}`);
  for (const c of causeChain(e).slice(1)) {
    const msg = c instanceof Error ? c.message : String(c);
    if (msg && !e.message.includes(msg)) lines.push(`  caused by: ${msg}`);
  }
  return lines.join('\n');
}

/** JSON form of an error for `--json` callers. */
export function errorJson(err: unknown): Record<string, unknown> {
  const e: BoardkitError = asBoardkitError(err);
  return {
    ok: false,
    error: {
      code: e.code,
      kind: e.kind,
      message: e.message,
      hint: e.hint,
      details: e.details,
      causes: causeChain(e)
        .slice(1)
        .map((c) => (c instanceof Error ? c.message : String(c))),
    },
  };
}
