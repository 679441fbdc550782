/**
 * Typed errors. The library never prints: it throws these, and `src/cli/` renders them
 * (message, hint, cause chain) and picks an exit code from `kind`.
 *
 * - `usage`: the caller asked for something impossible (bad arguments, unknown board).
 * - `input`: a file the user gave is wrong (profile, manifest, payload).
 * - `environment`: the host lacks something (a tool, a package, a permission).
 * - `device`: a device or emulated machine misbehaved (boot failure, protocol error).
 * - `infrastructure`: our own machinery failed (QEMU would not start, a socket closed).
 * - `internal`: a bug in boardkit.
 */
export type ErrorKind = 'usage' | 'input' | 'environment' | 'device' | 'infrastructure' | 'internal';

export interface BoardkitErrorOptions {
  hint?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class BoardkitError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: string, kind: ErrorKind, message: string, options: BoardkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = kind;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

export class UsageError extends BoardkitError {
  constructor(message: string, options: BoardkitErrorOptions = {}) {
    super('E_USAGE', 'usage', message, options);
  }
}

/** A required host tool (qemu-system-*, dtc, a cross compiler, ...) is missing or unusable. */
export class ToolMissingError extends BoardkitError {
  readonly tool: string;
  constructor(tool: string, options: BoardkitErrorOptions & { debianPackage?: string } = {}) {
    super(
      'E_TOOL_MISSING',
      'environment',
      `host tool '${tool}' was not found`,
      {
        ...options,
        hint:
          options.hint ??
          (options.debianPackage
            ? `install it: apt-get install ${options.debianPackage} (or run \`boardkit doctor --fix\` as root)`
            : 'run `boardkit doctor` to see what is missing'),
      },
    );
    this.tool = tool;
  }
}

/** A host tool ran and failed. */
export class ToolFailedError extends BoardkitError {
  constructor(tool: string, exitCode: number | null, stderr: string, options: BoardkitErrorOptions = {}) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super('E_TOOL_FAILED', 'environment', `'${tool}' failed (exit ${exitCode ?? 'signal'})${tail ? `: ${tail}` : ''}`, {
      ...options,
      details: { ...options.details, tool, exitCode, stderr },
    });
  }
}

/** Wraps anything that is not a BoardkitError so callers can treat errors uniformly. */
export function asBoardkitError(err: unknown): BoardkitError {
  if (err instanceof BoardkitError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BoardkitError('E_INTERNAL', 'internal', message, {
    cause: err,
    hint: 'this looks like a bug in boardkit; please report it with the command you ran',
  });
}

/** The cause chain of an error, outermost first (for rendering). */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  const seen = new Set<unknown>();
  while (cur !== undefined && cur !== null && !seen.has(cur)) {
    chain.push(cur);
    seen.add(cur);
    cur = cur instanceof Error ? (cur as Error & { cause?: unknown }).cause : undefined;
  }
  return chain;
}
