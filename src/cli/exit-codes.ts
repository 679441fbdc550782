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
  internal: 70,
} as const;

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
