import { AbortedError } from '../core/abort.js';
import { BoardkitError } from '../core/errors.js';
import { compilePattern, type PatternSource } from './bounded-pattern.js';
import type { CursorHost, ExpectMatch, ExpectOptions } from './console-types.js';

/** One consumer's position in the console text. Only one expect may be pending per cursor. */
export class ConsoleCursor {
  private busy = false;

  constructor(
    private readonly session: CursorHost,
    private pos: number,
  ) {}

  get position(): number {
    return this.pos;
  }

  /** Waits for the earliest match of any pattern after this cursor; the cursor moves past it. */
  async expect(patterns: PatternSource | readonly PatternSource[], options: ExpectOptions = {}): Promise<ExpectMatch> {
    const list = (Array.isArray(patterns) ? patterns : [patterns]) as readonly PatternSource[];
    const compiled = list.map((p) => compilePattern(p));
    if (this.busy) throw new BoardkitError('E_CURSOR_BUSY', 'internal', 'this console cursor already has a pending expect; use session.cursor() for another consumer');
    this.busy = true;
    try {
      return await this.session.startExpect(this.pos, compiled, options, (m) => (this.pos = m.end));
    } finally {
      this.busy = false;
    }
  }

  /** Skips to the current end of the console text. */
  skipToEnd(): void {
    this.pos = this.session.position;
  }
}

export function abortReason(signal: AbortSignal | undefined): unknown {
  const r = signal?.reason;
  return r instanceof BoardkitError ? r : new AbortedError(r);
}

export function throwIfAbortedSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}
