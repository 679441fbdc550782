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
  index: number;
  rel: number;
  m: RegExpExecArray;
  lineStart: number;
}

/** Earliest match at or after `from` in `seg` (ties: lowest pattern index); matches never span '\n'. */
function findEarliest(patterns: readonly CompiledPattern[], seg: string, from: number): Found | undefined {
  let best: Found | undefined;
  for (let index = 0; index < patterns.length; index++) {
    const p = patterns[index]!;
    if (p.literal !== undefined) {
      let idx = seg.indexOf(p.literal, from);
      while (idx >= 0) {
        const lineStart = seg.lastIndexOf('\n', idx - 1) + 1;
        if (best && Math.max(lineStart, from) > best.rel) break;
        let lineEnd = seg.indexOf('\n', idx);
        if (lineEnd < 0) lineEnd = seg.length;
        const line = seg.slice(lineStart, lineEnd);
        const re = p.regex;
        re.lastIndex = Math.max(0, from - lineStart);
        let m = re.exec(line);
        while (m && m[0] === '') {
          re.lastIndex = m.index + 1;
          m = re.lastIndex <= line.length ? re.exec(line) : null;
        }
        if (m) {
          const rel = lineStart + m.index;
          if (!best || rel < best.rel) best = { index, rel, m, lineStart };
          break;
        }
        idx = seg.indexOf(p.literal, lineEnd + 1);
      }
    } else {
      const re = p.regex;
      re.lastIndex = from;
      let m = re.exec(seg);
      while (m && (m[0] === '' || m[0].includes('\n'))) {
        re.lastIndex = m.index + 1;
        m = re.lastIndex <= seg.length ? re.exec(seg) : null;
      }
      if (m && (!best || m.index < best.rel)) best = { index, rel: m.index, m, lineStart: seg.lastIndexOf('\n', m.index - 1) + 1 };
    }
  }
  return best;
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
   * `onHit` for each match in order; returning false stops (the rest stays unscanned until the next
   * scan). Matches starting at or after `limit` are left for later.
   */
  scan(text: string, at: number, onHit: (hit: ScanHit) => boolean, limit = Infinity): void {
    if (at !== this.carryStart + this.carry.length) {
      // A gap in what this consumer saw (text was dropped by retention): restart at `at`.
      this.carry = '';
      this.carryStart = at;
      this.from = Math.max(this.from, at);
    }
    const seg = this.carry + text;
    const segStart = this.carryStart;
    let stopped = false;
    while (!stopped) {
      const found = findEarliest(this.patterns, seg, Math.max(0, this.from - segStart));
      if (!found) break;
      const start = segStart + found.rel;
      if (start >= limit) {
        stopped = true;
        break;
      }
      const end = start + found.m[0].length;
      let lineEnd = seg.indexOf('\n', found.rel);
      if (lineEnd < 0) lineEnd = seg.length;
      this.from = end;
      stopped = !onHit({
        index: found.index,
        start,
        end,
        text: found.m[0],
        groups: found.m.slice(1),
        named: { ...found.m.groups },
        line: seg.slice(found.lineStart, lineEnd),
      });
    }
    const lastNl = seg.lastIndexOf('\n');
    let carryFrom = lastNl + 1;
    if (seg.length - carryFrom > MAX_CARRY) carryFrom = seg.length - MAX_CARRY;
    this.carry = seg.slice(carryFrom);
    this.carryStart = segStart + carryFrom;
    if (!stopped) this.from = Math.max(this.from, this.carryStart);
  }
}
