/**
 * Rule `unbounded-pattern` (after tbot's BoundedPattern), the one definition of it: console
 * patterns must be bounded. A pattern that can match an unbounded run of text (`.*`, `\S+`,
 * `a{2,}`) makes matching cost grow with the log and can swallow markers; `.{0,80}`, `\S{1,64}`
 * are fine. Profiles are validated with it (`boards/rules.ts`) and the console engine compiles
 * with it (`console/bounded-pattern.ts`).
 */
export interface UnboundedQuantifier {
  /** Offset of the quantifier in the pattern source. */
  offset: number;
  /** The quantifier as written: `*`, `+` or `{n,}`. */
  quantifier: string;
}

/** The first repetition without an upper bound, outside character classes and escapes; undefined when there is none. */
export function findUnboundedQuantifier(pattern: string): UnboundedQuantifier | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '*' || ch === '+') return { offset: i, quantifier: ch };
    else if (ch === '{') {
      const m = /^\{(\d+),\}/.exec(pattern.slice(i));
      if (m) return { offset: i, quantifier: m[0] };
    }
  }
  return undefined;
}

/** Why a pattern is unacceptable (not a regular expression, or unbounded), or undefined when it is fine. */
export function checkBoundedPattern(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  const found = findUnboundedQuantifier(pattern);
  if (!found) return undefined;
  return found.quantifier.startsWith('{')
    ? `unbounded quantifier '${found.quantifier}' at offset ${found.offset}: give an upper bound`
    : `unbounded quantifier '${found.quantifier}' at offset ${found.offset}: use a bound such as {0,80}`;
}
