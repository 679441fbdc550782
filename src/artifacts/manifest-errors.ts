import { BoardkitError, type ErrorKind } from '../core/errors.js';
import { formatIssue, type LocatedIssue } from '../core/located-issue.js';

/** One finding of manifest validation: `yaml-syntax`, `schema`, `unknown-key`, `bad-sha256`, `bad-source`, `duplicate-id`, ... */
export type ManifestIssue = LocatedIssue;
export const formatManifestIssue = formatIssue;

/** Thrown when manifests are invalid; carries every issue found (never just the first). */
export class ManifestValidationError extends BoardkitError {
  readonly issues: ManifestIssue[];
  constructor(issues: ManifestIssue[]) {
    const n = issues.length;
    super(
      'E_MANIFEST_INVALID',
      'input',
      `${n} problem${n === 1 ? '' : 's'} in firmware manifests:\n${issues.map(formatManifestIssue).join('\n')}`,
      { hint: 'fix each line above (file:line:col rule message)', details: { issues } },
    );
    this.issues = issues;
  }
}

export class UnknownArtifactError extends BoardkitError {
  constructor(id: string, known: readonly string[]) {
    super('E_UNKNOWN_ARTIFACT', 'usage', `no firmware artefact with id '${id}'`, {
      hint: `known artefacts: ${known.join(', ')} (\`boardkit firmware list\`)`,
      details: { id },
    });
  }
}

/** The artefact is not in the cache (or fails its digest); the hint says how to get it. */
export class ArtifactMissingError extends BoardkitError {
  readonly artifactId: string;
  constructor(id: string, reason: string, hint: string, options: { cause?: unknown } = {}) {
    super('E_ARTIFACT_MISSING', 'environment', `firmware artefact '${id}' is not available: ${reason}`, {
      hint,
      cause: options.cause,
      details: { id },
    });
    this.artifactId = id;
  }
}

/** Bytes whose sha256 (or size) differs from what the manifest or the accepted import says. */
export class DigestMismatchError extends BoardkitError {
  constructor(
    id: string,
    expected: string,
    actual: string,
    what = 'sha256',
    as: { code: string; kind: ErrorKind; message: string; hint: string } = {
      code: 'E_DIGEST_MISMATCH',
      kind: 'input',
      message: `firmware artefact '${id}': ${what} is ${actual}, expected ${expected}`,
      hint: 'the file is not the one the manifest pins; re-fetch it (`boardkit firmware fetch ID`) or import the right file',
    },
  ) {
    super(as.code, as.kind, as.message, { hint: as.hint, details: { id, expected, actual, what } });
  }
}

/**
 * The cache holds bytes that are not the artefact (a disk fault, an interrupted copy by hand, a
 * tampered file), found when a command needs it. Not the user's input: the host's cache is broken
 * (host setup, exit 3), and re-fetching or re-importing repairs it.
 */
export class CachedArtifactCorruptError extends DigestMismatchError {
  constructor(id: string, path: string, expected: string, actual: string, repair: string) {
    super(id, expected, actual, 'sha256', {
      code: 'E_ARTIFACT_CORRUPT',
      kind: 'environment',
      message: `firmware artefact '${id}' in the cache is corrupt: sha256 of ${path} is ${actual}, expected ${expected}`,
      hint: `${repair}; \`boardkit firmware verify\` checks the whole cache`,
    });
  }
}
