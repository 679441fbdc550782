/**
 * Console patterns must be bounded (tbot's BoundedPattern): a pattern that can match an unbounded
 * run of text (`.*`, `\S+`, `a{2,}`) makes matching cost grow with the log and can swallow markers.
 * Returns why a pattern is unacceptable, or undefined when it is fine.
 */
export function checkBoundedPattern(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
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
    else if (ch === '*' || ch === '+') return `unbounded quantifier '${ch}' at offset ${i}: use a bound such as {0,80}`;
    else if (ch === '{') {
      const m = /^\{(\d+),\}/.exec(pattern.slice(i));
      if (m) return `unbounded quantifier '${m[0]}' at offset ${i}: give an upper bound`;
    }
  }
  return undefined;
}
