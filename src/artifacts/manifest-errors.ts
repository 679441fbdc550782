import { BoardkitError } from '../core/errors.js';
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
  constructor(id: string, expected: string, actual: string, what = 'sha256') {
    super('E_DIGEST_MISMATCH', 'input', `firmware artefact '${id}': ${what} is ${actual}, expected ${expected}`, {
      hint: 'the file is not the one the manifest pins; re-fetch it (`boardkit firmware fetch ID`) or import the right file',
      details: { id, expected, actual, what },
    });
  }
}
