import { asBoardkitError, causeChain, type BoardkitError } from '../core/errors.js';

/** The only place that writes to the terminal; commands receive it through the context. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Low level: one JSON value on stdout. Commands answer `--json` through `result`/`event`. */
  json(value: unknown): void;
  /**
   * The `--json` answer of a command, one envelope for all: `{ ok, command, ...payload }` on
   * stdout (pretty-printed). `ok` is the command's verdict; a payload's own `ok`/`command` never
   * override it. Errors take the same shape through `errorJson` (`{ ok: false, command, error }`).
   */
  result(command: string, payload: object, ok?: boolean): void;
  /** One event of a streaming command (`netboot serve`, `monitor`): the same envelope, one line each. */
  event(command: string, event: object): void;
  readonly isTTY: boolean;
}

/** `{ ok, command, ...payload }`: the envelope every `--json` output has. */
export function envelope(command: string, payload: object, ok: boolean): Record<string, unknown> {
  const { ok: _ok, command: _command, ...rest } = payload as Record<string, unknown>;
  return { ok, command, ...rest };
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
  result: (command, payload, ok = true) => void process.stdout.write(`${JSON.stringify(envelope(command, payload, ok), null, 2)}\n`),
  event: (command, event) => void process.stdout.write(`${JSON.stringify(envelope(command, event, true))}\n`),
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

/** JSON form of an error for `--json` callers: the result envelope with `ok: false` and `error`. */
export function errorJson(err: unknown, command: string): Record<string, unknown> {
  const e: BoardkitError = asBoardkitError(err);
  return {
    ok: false,
    command,
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
