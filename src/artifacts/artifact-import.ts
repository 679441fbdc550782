import { copyFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BoardkitError, UsageError } from '../core/errors.js';
import type { ArtifactCache } from './artifact-cache.js';
import { DigestMismatchError } from './manifest-errors.js';
import { SHA256_PATTERN, type ArtifactEntry } from './manifest-schema.js';
import { hashFile } from './sha256.js';

export interface ImportOptions {
  /** The digest the user vouches for (from a source they trust); must equal the file's. */
  readonly sha256?: string;
  /** Trust on first use: record the file's own digest. Only for artefacts whose manifest digest is unknown. */
  readonly acceptDigest?: boolean;
}

export interface ImportResult {
  readonly id: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly digestFrom: 'manifest' | 'stated-sha256' | 'accept-digest';
}

/**
 * Copies a user's file into the cache as artefact `entry`, atomically.
 *
 * Digest rule (strict): when the manifest pins a sha256 (and size), the file must match it.
 * When the manifest says `unknown`, the user must either state the digest (`sha256`, compared
 * with the file) or explicitly accept the file's own digest (`acceptDigest`); the accepted digest
 * is recorded beside the file and every later verify/resolve checks it. Silence is refused.
 */
export async function importArtifact(entry: ArtifactEntry, file: string, cache: ArtifactCache, options: ImportOptions = {}): Promise<ImportResult> {
  const source = resolve(file);
  const actual = await hashFile(source).catch((err: unknown) => {
    throw new BoardkitError('E_IMPORT_UNREADABLE', 'usage', `cannot read ${source}`, { cause: err });
  });
  if (options.sha256 !== undefined && !SHA256_PATTERN.test(options.sha256)) {
    throw new UsageError(`--sha256 must be 64 lowercase hex digits, got '${options.sha256}'`);
  }
  let digestFrom: ImportResult['digestFrom'];
  let expected: string;
  if (entry.sha256 !== 'unknown') {
    if (options.sha256 !== undefined && options.sha256 !== entry.sha256) {
      throw new UsageError(`--sha256 ${options.sha256} contradicts the manifest's pinned ${entry.sha256} for '${entry.id}'`);
    }
    expected = entry.sha256;
    digestFrom = 'manifest';
  } else if (options.sha256 !== undefined) {
    expected = options.sha256;
    digestFrom = 'stated-sha256';
  } else if (options.acceptDigest) {
    expected = actual.sha256;
    digestFrom = 'accept-digest';
  } else {
    throw new UsageError(`the manifest pins no digest for '${entry.id}', so boardkit will not guess that ${source} is the right file`, {
      hint: `its sha256 is ${actual.sha256} (${actual.size} bytes). If that matches the digest from where you got it, re-run with --sha256 ${actual.sha256}; or pass --accept-digest to record it as is (trust on first use). Where it comes from: ${entry.obtain ?? ''}`,
      details: { id: entry.id, sha256: actual.sha256, size: actual.size },
    });
  }
  if (actual.sha256 !== expected) throw new DigestMismatchError(entry.id, expected, actual.sha256);
  const path = await cache.install(entry, { sha256: expected, size: entry.size === 'unknown' ? undefined : entry.size }, async (staging) => {
    await copyFile(source, `${staging}/${entry.filename}`);
    if (digestFrom !== 'manifest') {
      await cache.writeAccepted(staging, {
        sha256: expected,
        size: actual.size,
        importedFrom: source,
        acceptedBy: digestFrom,
        importedAt: new Date().toISOString(),
      });
    }
  });
  return { id: entry.id, path, sha256: actual.sha256, size: actual.size, digestFrom };
}
