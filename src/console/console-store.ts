/**
 * The append-only record of one console: raw byte chunks and link events, each timestamped
 * (monotonic clock ms and wall time), plus the normalised text that patterns match against, with
 * absolute offsets so cursors stay valid as the log grows. Old entries beyond the retention limit
 * are dropped from memory (log sinks have already written them).
 */
export type ConsoleLogEntry =
  | { kind: 'data'; t: number; wall: number; bytes: Uint8Array }
  | { kind: 'event'; t: number; wall: number; event: ConsoleEvent };

export type ConsoleEvent =
  | { type: 'lost'; reason: string }
  | { type: 'reopened'; path: string; gapMs: number }
  | { type: 'closed'; error?: string }
  | { type: 'sent'; bytes: number };

interface Piece {
  start: number;
  text: string;
  t: number;
}

export class ConsoleStore {
  private readonly pieces: Piece[] = [];
  private readonly entries: ConsoleLogEntry[] = [];
  private textEnd = 0;
  private retainedChars = 0;
  private retainedBytes = 0;

  constructor(private readonly retainLimit = 64 * 1024 * 1024) {}

  /** Offset of the end of the normalised text (where new text goes). */
  get end(): number {
    return this.textEnd;
  }

  /** Offset of the oldest text still in memory. */
  get base(): number {
    return this.pieces[0]?.start ?? this.textEnd;
  }

  addEntry(entry: ConsoleLogEntry): void {
    this.entries.push(entry);
    if (entry.kind === 'data') {
      this.retainedBytes += entry.bytes.byteLength;
      while (this.retainedBytes > this.retainLimit && this.entries.length > 1) {
        const old = this.entries.shift()!;
        if (old.kind === 'data') this.retainedBytes -= old.bytes.byteLength;
      }
    }
  }

  /** The retained raw log (oldest first). */
  log(): readonly ConsoleLogEntry[] {
    return this.entries;
  }

  /** Appends normalised text; returns its start offset. */
  addText(text: string, t: number): number {
    const start = this.textEnd;
    if (!text) return start;
    this.pieces.push({ start, text, t });
    this.textEnd += text.length;
    this.retainedChars += text.length;
    while (this.retainedChars > this.retainLimit && this.pieces.length > 1) {
      this.retainedChars -= this.pieces.shift()!.text.length;
    }
    return start;
  }

  /** Index of the piece containing offset (or the last piece before it). */
  private pieceAt(offset: number): number {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pieces[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Clock time at which the text at `offset` arrived. */
  timeAt(offset: number): number | undefined {
    if (!this.pieces.length) return undefined;
    return this.pieces[this.pieceAt(Math.min(offset, this.textEnd - 1))]!.t;
  }

  /** Retained text in [from, to). */
  slice(from: number, to = this.textEnd): string {
    from = Math.max(from, this.base);
    if (from >= to) return '';
    const out: string[] = [];
    for (let i = this.pieceAt(from); i < this.pieces.length; i++) {
      const p = this.pieces[i]!;
      if (p.start >= to) break;
      out.push(p.text.slice(Math.max(0, from - p.start), Math.max(0, to - p.start)));
    }
    return out.join('');
  }

  /** Calls fn for each retained piece of text at or after `from` (first one trimmed). */
  forEachFrom(from: number, fn: (text: string, at: number) => void): void {
    if (!this.pieces.length) return;
    from = Math.max(from, this.base);
    for (let i = this.pieceAt(from); i < this.pieces.length; i++) {
      const p = this.pieces[i]!;
      if (p.start + p.text.length <= from) continue;
      const cut = Math.max(0, from - p.start);
      fn(cut ? p.text.slice(cut) : p.text, p.start + cut);
    }
  }

  /** Offset of the start of the line containing `offset` (bounded look-back). */
  lineStart(offset: number, maxBack = 8192): number {
    const lo = Math.max(this.base, offset - maxBack);
    const nl = this.slice(lo, offset).lastIndexOf('\n');
    return nl < 0 ? lo : lo + nl + 1;
  }

  /** The last `n` lines (the unfinished one included when non-empty). */
  tail(n: number): string[] {
    const parts: string[] = [];
    let newlines = 0;
    for (let i = this.pieces.length - 1; i >= 0 && newlines <= n; i--) {
      const text = this.pieces[i]!.text;
      parts.unshift(text);
      for (let j = text.indexOf('\n'); j >= 0; j = text.indexOf('\n', j + 1)) newlines++;
    }
    const lines = parts.join('').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  }
}
