import type { ErrorKind } from '../core/errors.js';

/**
 * Exit codes, one per failure kind, so scripts can tell a failed check (the board did not boot,
 * a profile is invalid) from a broken setup (a missing tool) or our own machinery failing.
 */
export const EXIT = {
  ok: 0,
  /** The thing checked is bad: invalid profile, failed boot verification, digest mismatch. */
  checkFailed: 1,
  usage: 2,
  /** The host lacks something: a tool, a package, a permission. */
  environment: 3,
  /** Our machinery failed: QEMU would not start, a socket closed, a timeout of infrastructure. */
  infrastructure: 4,
  interrupted: 130,
  /** A bug in boardkit (an error no code path anticipated): the message asks for a report. */
  internal: 70,
} as const;

/** The exit code list as `--help` epilogues and the README show it. */
export const EXIT_CODES_HELP =
  'Exit codes: 0 ok, 1 check failed, 2 usage, 3 host setup, 4 infrastructure, 70 internal error (a bug: please report), 130 interrupted.';

export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case 'usage':
      return EXIT.usage;
    case 'input':
    case 'device':
      return EXIT.checkFailed;
    case 'environment':
      return EXIT.environment;
    case 'infrastructure':
      return EXIT.infrastructure;
    case 'internal':
      return EXIT.internal;
  }
}
