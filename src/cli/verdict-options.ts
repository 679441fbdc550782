import type { Argv } from 'yargs';
import { compilePattern } from '../console/bounded-pattern.js';
import { BoardkitError, UsageError } from '../core/errors.js';

/** Declares the verdict options `run` and `verify-boot` share. */
export function withVerdictOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('expect', { type: 'string', array: true, describe: "What the payload prints, in order (bounded regex, repeatable): replaces the profile's payload marker (the reference payload's report line)" })
    .option('fail', { type: 'string', array: true, describe: 'A line (bounded regex, repeatable) that fails the run whenever it appears' })
    .option('expect-set', { type: 'string', describe: 'A built-in expectation set for the payload: boardkit-report, linux, none (firmware stages only)' })
    .option('until', { type: 'string', describe: 'A final console line (bounded regex) to wait for after the last marker; failure patterns stay armed until it' })
    .option('settle', { type: 'number', describe: "Keep listening this many ms after the end with failure patterns armed (default: the profile's verify.settleMs)" }) as unknown as Argv<T>;
}

/** The verdict options `run` and `verify-boot` share, as parsed by yargs. */
export interface VerdictArgs {
  until?: string;
  settle?: number;
  expect?: string[];
  fail?: string[];
  'expect-set'?: string;
}

export interface VerdictOptions {
  until?: string;
  settleMs?: number;
  expect?: string[];
  fail?: string[];
  expectSet?: string;
}

/** Checks every pattern the user gave (bounded, valid) so a bad one is a usage error before anything starts. */
export function verdictOptions(a: VerdictArgs): VerdictOptions {
  if (a.settle !== undefined && !(a.settle >= 0)) throw new UsageError('--settle takes a number of milliseconds (0 or more)');
  const check = (flag: string, pattern: string): string => {
    try {
      compilePattern(pattern);
    } catch (err) {
      throw new UsageError(`${flag} '${pattern}': ${err instanceof BoardkitError ? err.message : String(err)}`, {
        cause: err,
        hint: 'patterns are bounded regular expressions: no *, + or {n,}; use {0,80} and the like',
      });
    }
    return pattern;
  };
  return {
    ...(a.until !== undefined ? { until: check('--until', a.until) } : {}),
    ...(a.settle !== undefined ? { settleMs: a.settle } : {}),
    ...(a.expect?.length ? { expect: a.expect.map((p) => check('--expect', p)) } : {}),
    ...(a.fail?.length ? { fail: a.fail.map((p) => check('--fail', p)) } : {}),
    ...(a['expect-set'] !== undefined ? { expectSet: a['expect-set'] } : {}),
  };
}

/** Whether the user said anything about the verdict (the reference payload's report decides alone). */
export function hasVerdictOptions(o: VerdictOptions): boolean {
  return Object.keys(o).length > 0;
}
