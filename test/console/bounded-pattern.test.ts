import { describe, expect, it } from 'vitest';
import { compilePattern, literalPattern } from '../../src/console/bounded-pattern.js';
import { UnboundedPatternError } from '../../src/console/console-errors.js';
import { checkBoundedPattern } from '../../src/core/bounded-pattern.js';

describe('bounded patterns (rule unbounded-pattern)', () => {
  it.each(['.*', 'panic.+', '\\S+ login:', 'a{2,}', '(foo)*', 'x[a-z]+y', /abc.*/])('rejects %s with a named rule and a hint', (p) => {
    let err: unknown;
    try {
      compilePattern(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnboundedPatternError);
    const e = err as UnboundedPatternError;
    expect(e.message).toContain('unbounded-pattern');
    expect(e.details.rule).toBe('unbounded-pattern');
    expect(e.hint).toMatch(/upper bound/);
  });

  it.each(['\\S{1,64} login:', '.{0,80}', 'U-Boot 20\\d\\d', 'a{2,5}?', '[*+]', '\\*\\+', 'x?y{3}', 'autoboot:\\s{0,5}\\d{0,3}'])('accepts %s', (p) => {
    expect(() => compilePattern(p)).not.toThrow();
  });

  it('extracts a required literal for prefiltering only when one is certain', () => {
    expect(compilePattern('Kernel panic - not syncing').literal).toBe('Kernel panic - not syncing');
    expect(compilePattern('\\S{1,64} login:').literal).toBe(' login:');
    expect(compilePattern('U-Boot SPL 20\\d\\d').literal).toBe('U-Boot SPL 20');
    expect(compilePattern('colou?r scheme').literal).toBe('r scheme');
    expect(compilePattern('foo|barbaz').literal).toBeUndefined();
    expect(compilePattern(/Panic/i).literal).toBeUndefined();
    expect(compilePattern('\\x41\\d{2}').literal).toBeUndefined(); // escape operands are not literal text
    expect(compilePattern('\\x41BCD').literal).toBe('BCD');
  });

  it('literalPattern escapes every regex metacharacter', () => {
    const text = 'Starting kernel ... (a+b)*[c]{1}?^$|\\/';
    expect(new RegExp(literalPattern(text)).exec(`x${text}y`)?.[0]).toBe(text);
  });

  // One rule: what a profile may declare (boards/rules.ts, via core) is exactly what the console
  // engine accepts. `[]*` and `\c*` are where two hand-written scanners used to disagree: in a
  // JavaScript regex `[]` is an empty class and `\c` without a letter is literal text, so both
  // are followed by a real, unbounded `*`.
  it.each(['.*', 'a{2,}', '[]*', '\\c*', '(?:ab)+', '[*+]', '\\S{1,64}', 'x?y{3}', 'a{2,5}?', '[^]]{0,3}', '\\x41{0,2}'])(
    'the profile rule and the console engine agree on %s',
    (p) => {
      const profileRule = checkBoundedPattern(p);
      let engine: unknown;
      try {
        compilePattern(p);
      } catch (e) {
        engine = e;
      }
      if (profileRule === undefined) expect(engine).toBeUndefined();
      else expect(engine).toBeInstanceOf(UnboundedPatternError);
    },
  );
});
