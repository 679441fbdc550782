import type { CompiledPattern } from './bounded-pattern.js';

/**
 * Incremental matching of a set of bounded patterns over a growing text, one consumer at a time.
 * Each consumer keeps the unfinished current line (the carry) so a marker split across two reads
 * still matches, and never rescans finished lines, so the cost per byte does not grow with the log.
 */
export interface ScanHit {
  /** Which pattern matched (index into the set). */
  index: number;
  /** Absolute offsets in the normalised text. */
  start: number;
  end: number;
  text: string;
  groups: Array<string | undefined>;
  named: Record<string, string | undefined>;
  /** The (possibly still incomplete) line the match is on. */
  line: string;
}

/** Longer lines are cut for matching: bounded patterns never need more. */
const MAX_CARRY = 8192;

interface Found {
  rel: number;
  m: RegExpExecArray;
  lineStart: number;
}

/** First match of one pattern at or after `from` in `seg`; matches never span '\n'. */
function findFirst(p: CompiledPattern, seg: string, from: number): Found | undefined {
  const re = p.regex;
  if (p.literal !== undefined) {
    // Prefilter: only lines containing the required literal are handed to the regex.
    let idx = seg.indexOf(p.literal, from);
    while (idx >= 0) {
      const lineStart = seg.lastIndexOf('\n', idx - 1) + 1;
      let lineEnd = seg.indexOf('\n', idx);
      if (lineEnd < 0) lineEnd = seg.length;
      const line = seg.slice(lineStart, lineEnd);
      re.lastIndex = Math.max(0, from - lineStart);
      let m = re.exec(line);
      while (m && m[0] === '') {
        re.lastIndex = m.index + 1;
        m = re.lastIndex <= line.length ? re.exec(line) : null;
      }
      if (m) return { rel: lineStart + m.index, m, lineStart };
      idx = seg.indexOf(p.literal, lineEnd + 1);
    }
    return undefined;
  }
  re.lastIndex = from;
  let m = re.exec(seg);
  while (m && (m[0] === '' || m[0].includes('\n'))) {
    re.lastIndex = m.index + 1;
    m = re.lastIndex <= seg.length ? re.exec(seg) : null;
  }
  return m ? { rel: m.index, m, lineStart: seg.lastIndexOf('\n', m.index - 1) + 1 } : undefined;
}

export class PatternScanner {
  private carry = '';
  private carryStart: number;
  /** The next match must start here (absolute). */
  private from: number;

  /**
   * @param lineHead text from the start of the current line up to `from` (so `^` and patterns that
   *   begin before the cursor see the whole line; matches still start at or after `from`).
   */
  constructor(
    readonly patterns: readonly CompiledPattern[],
    from: number,
    lineHead = '',
  ) {
    this.from = from;
    this.carry = lineHead;
    this.carryStart = from - lineHead.length;
  }

  get position(): number {
    return this.from;
  }

  /**
   * Feeds text that starts at absolute offset `at` (contiguous with what came before). Calls
   * `onHit` for each match in order; returning false ends this consumer's scan of this text (a
   * consumer that stops is done: an expect that resolved, a failure that fired). Matches starting
   * at or after `limit` are not reported.
   */
  scan(text: string, at: number, onHit: (hit: ScanHit) => boolean, limit = Infinity): void {
    if (at !== this.carryStart + this.carry.length) {
      // A gap in what this consumer saw (text was dropped by retention): restart at `at`.
      this.carry = '';
      this.carryStart = at;
      this.from = Math.max(this.from, at);
    }
    const nl = text.indexOf('\n');
    let seg: string;
    let segStart: number;
    if (nl >= 0 && this.carry) {
      // Finish the carried line on its own so the big remainder is scanned without copying it.
      const head = this.carry + text.slice(0, nl + 1);
      if (!this.run(head, this.carryStart, onHit, limit)) return this.keep(head, this.carryStart, false);
      seg = text.slice(nl + 1);
      segStart = at + nl + 1;
    } else {
      seg = this.carry ? this.carry + text : text;
      segStart = this.carryStart;
    }
    const complete = this.run(seg, segStart, onHit, limit);
    this.keep(seg, segStart, complete);
  }

  /** Scans one segment; returns false when stopped (by onHit or the limit). */
  private run(seg: string, segStart: number, onHit: (hit: ScanHit) => boolean, limit: number): boolean {
    const n = this.patterns.length;
    const next: Array<Found | undefined> = new Array(n);
    let rel = Math.max(0, this.from - segStart);
    for (let i = 0; i < n; i++) next[i] = findFirst(this.patterns[i]!, seg, rel);
    for (;;) {
      let index = -1;
      for (let i = 0; i < n; i++) {
        const f = next[i];
        if (f && (index < 0 || f.rel < next[index]!.rel)) index = i;
      }
      if (index < 0) return true;
      const found = next[index]!;
      const start = segStart + found.rel;
      if (start >= limit) return false;
      const end = start + found.m[0].length;
      let lineEnd = seg.indexOf('\n', found.rel);
      if (lineEnd < 0) lineEnd = seg.length;
      this.from = end;
      const more = onHit({
        index,
        start,
        end,
        text: found.m[0],
        groups: found.m.slice(1),
        named: found.m.groups ? { ...found.m.groups } : {},
        line: seg.slice(found.lineStart, lineEnd),
      });
      if (!more) return false;
      // Only patterns whose next match overlaps what was consumed need searching again.
      rel = end - segStart;
      for (let i = 0; i < n; i++) if (next[i] && next[i]!.rel < rel) next[i] = findFirst(this.patterns[i]!, seg, rel);
    }
  }

  private keep(seg: string, segStart: number, complete: boolean): void {
    const lastNl = seg.lastIndexOf('\n');
    let carryFrom = lastNl + 1;
    if (seg.length - carryFrom > MAX_CARRY) carryFrom = seg.length - MAX_CARRY;
    this.carry = seg.slice(carryFrom);
    this.carryStart = segStart + carryFrom;
    if (complete) this.from = Math.max(this.from, this.carryStart);
  }
}
