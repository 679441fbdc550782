import { BoardkitError, type BoardkitErrorOptions } from '../core/errors.js';
import { TimeoutError } from '../core/abort.js';

/** A pattern could match an unbounded amount of text (rule `unbounded-pattern`). */
export class UnboundedPatternError extends BoardkitError {
  constructor(pattern: string, offending: string) {
    super('E_UNBOUNDED_PATTERN', 'usage', `pattern /${pattern}/ can match without bound ('${offending}') [rule unbounded-pattern]`, {
      hint: "give every repetition an upper bound, e.g. '\\S{1,64}' instead of '\\S+' and '.{0,80}' instead of '.*'",
      details: { rule: 'unbounded-pattern', pattern, offending },
    });
  }
}

export class InvalidPatternError extends BoardkitError {
  constructor(pattern: string, cause: unknown) {
    super('E_INVALID_PATTERN', 'usage', `pattern /${pattern}/ is not a valid regular expression`, { cause, details: { pattern } });
  }
}

/** An expect did not see any of its patterns in time. `details.tail` holds the last console lines. */
export class ExpectTimeoutError extends TimeoutError {
  constructor(message: string, options: BoardkitErrorOptions = {}) {
    super(message, options);
  }
}

/** A failure pattern (death string) was seen on the console. */
export class FailurePatternError extends BoardkitError {
  constructor(
    readonly patternName: string,
    readonly line: string,
    options: BoardkitErrorOptions = {},
  ) {
    super('E_CONSOLE_FAILURE', 'device', `console showed '${patternName}': ${line.trim()}`, options);
  }
}

/** The console link went away for good (or was closed while someone was waiting). */
export class LinkLostError extends BoardkitError {
  constructor(message: string, options: BoardkitErrorOptions = {}) {
    super('E_LINK_LOST', 'device', message, options);
  }
}
