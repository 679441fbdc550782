import { findUnboundedQuantifier } from '../core/bounded-pattern.js';
import { InvalidPatternError, UnboundedPatternError } from './console-errors.js';

/**
 * A console pattern: a regular expression source (as written in profiles and run files) or a
 * RegExp. Patterns are matched within one line of normalised console text (a match never spans a
 * line break; `^`/`$` are line anchors).
 *
 * Rule `unbounded-pattern` (defined once, in `core/bounded-pattern.ts`): every repetition needs an
 * upper bound. A bounded pattern can only ever look at a bounded window, so the engine never
 * rescans the log and a runaway match cannot swallow the rest of the boot.
 */
export type PatternSource = string | RegExp;

export interface CompiledPattern {
  /** The source as given (for messages). */
  readonly source: string;
  /** Global + multiline, so `lastIndex` searches and `^`/`$` anchor at lines. */
  readonly regex: RegExp;
  /** A substring every match must contain, used to skip lines cheaply; undefined when none. */
  readonly literal: string | undefined;
}

/** Escapes text so it matches literally. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const MIN_PREFILTER = 3;

export function compilePattern(pattern: PatternSource): CompiledPattern {
  const source = typeof pattern === 'string' ? pattern : pattern.source;
  const flags = typeof pattern === 'string' ? '' : pattern.flags.replace(/[gym]/g, '');
  const unbounded = findUnboundedQuantifier(source);
  if (unbounded) throw new UnboundedPatternError(source, source.slice(Math.max(0, unbounded.offset - 3), unbounded.offset + unbounded.quantifier.length));
  const literal = requiredLiteral(source);
  let regex: RegExp;
  try {
    regex = new RegExp(source, `${flags}gm`);
  } catch (err) {
    throw new InvalidPatternError(source, err);
  }
  return { source, regex, literal: flags.includes('i') ? undefined : literal };
}

/** The longest literal every match must contain (the pattern is already known to be bounded). */
function requiredLiteral(src: string): string | undefined {
  let depth = 0;
  let topAlternation = false;
  const runs: string[] = [];
  let run = '';
  /** What the last atom was, so a quantifier knows what it applies to. */
  let lastAtomWasRunChar = false;
  const endRun = (): void => {
    if (run) runs.push(run);
    run = '';
    lastAtomWasRunChar = false;
  };
  const addLiteral = (c: string): void => {
    if (depth === 0) {
      run += c;
      lastAtomWasRunChar = true;
    } else endRun();
  };
  for (let i = 0; i < src.length; ) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (/[dDwWsSbBpPkcux0-9]/.test(n)) {
        endRun();
        i += 2;
        // Skip the rest of the escape so its operands are not read as literal text.
        if (n === 'x') i += 2;
        else if (n === 'c') i += 1;
        else if (n === 'u' && src[i] !== '{') i += 4;
        else if (/[0-9]/.test(n)) while (/[0-9]/.test(src[i] ?? '')) i++;
        if ((n === 'p' || n === 'P' || n === 'k' || n === 'u') && (src[i] === '{' || src[i] === '<')) {
          const close = src.indexOf(src[i] === '{' ? '}' : '>', i);
          i = close < 0 ? src.length : close + 1;
        }
        continue;
      }
      const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v' };
      addLiteral(map[n] ?? n);
      i += 2;
      continue;
    }
    if (c === '[') {
      endRun();
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    if (c === '(') {
      endRun();
      depth++;
      i++;
      if (src[i] === '?') {
        const m = /^\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(src.slice(i));
        i += m ? m[0].length : 1;
      }
      continue;
    }
    if (c === ')') {
      endRun();
      depth = Math.max(0, depth - 1);
      i++;
      continue;
    }
    if (c === '|') {
      if (depth === 0) topAlternation = true;
      endRun();
      i++;
      continue;
    }
    if (c === '*' || c === '+') {
      // Not reached for a bounded pattern; if it were, the quantified atom is not required text.
      if (lastAtomWasRunChar) run = run.slice(0, -1);
      endRun();
      i++;
      continue;
    }
    if (c === '?' || c === '{') {
      const q = c === '?' ? ['?', '0'] : /^\{(\d+)(?:,(\d*))?\}/.exec(src.slice(i));
      if (q) {
        const text = q[0]!;
        const min = c === '?' ? 0 : Number(q[1]);
        if (lastAtomWasRunChar) {
          const last = run.slice(-1);
          run = run.slice(0, -1);
          endRun();
          if (min > 0) runs.push(last);
        } else endRun();
        i += text.length;
        if (src[i] === '?') i++; // lazy modifier
        continue;
      }
    }
    if (c === '.' || c === '^' || c === '$') {
      endRun();
      i++;
      continue;
    }
    addLiteral(c);
    i++;
  }
  endRun();
  if (topAlternation) return undefined;
  const best = runs.reduce((a, b) => (b.length > a.length ? b : a), '');
  return best.length >= MIN_PREFILTER && !best.includes('\n') ? best : undefined;
}
