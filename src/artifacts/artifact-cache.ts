import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactMissingError, CachedArtifactCorruptError, DigestMismatchError } from './manifest-errors.js';
import { formatSource, type ArtifactEntry } from './manifest-schema.js';
import { hashFile } from './sha256.js';

/**
 * The on-disk artefact cache: `<cacheDir>/artifacts/<id>/<filename>`, one directory per artefact,
 * installed only by rename(2) of a fully written and verified staging directory, so a reader
 * sees either the previous complete artefact or the new one, never a partial file.
 *
 * For user-supplied artefacts whose manifest digest is `unknown`, the digest the user accepted at
 * import is kept in `<id>/accepted.json`; from then on it is checked like a manifest digest.
 */

export type ArtifactState = 'verified' | 'mismatch' | 'missing' | 'user-supplied-missing';

export interface ArtifactStatus {
  readonly id: string;
  readonly state: ArtifactState;
  readonly path: string;
  /** The digest the bytes must have: the manifest's, else the accepted one, else undefined. */
  readonly expectedSha256: string | undefined;
  readonly actualSha256: string | undefined;
  readonly actualSize: number | undefined;
  /** Where the expected digest came from. */
  readonly digestFrom: 'manifest' | 'accepted-at-import' | 'none';
  readonly detail: string | undefined;
}

export interface AcceptedDigest {
  readonly sha256: string;
  readonly size: number;
  readonly importedFrom: string;
  readonly acceptedBy: 'stated-sha256' | 'accept-digest';
  readonly importedAt: string;
}

const ACCEPTED_FILE = 'accepted.json';

export class ArtifactCache {
  readonly root: string;

  constructor(cacheDir: string) {
    this.root = join(cacheDir, 'artifacts');
  }

  dirOf(entry: ArtifactEntry): string {
    return join(this.root, entry.id);
  }

  pathOf(entry: ArtifactEntry): string {
    return join(this.dirOf(entry), entry.filename);
  }

  async acceptedDigest(entry: ArtifactEntry): Promise<AcceptedDigest | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dirOf(entry), ACCEPTED_FILE), 'utf8')) as AcceptedDigest;
    } catch {
      return undefined;
    }
  }

  /** Hashes the cached file (if any) and compares it with the manifest or accepted digest. */
  async status(entry: ArtifactEntry): Promise<ArtifactStatus> {
    const path = this.pathOf(entry);
    const present = await stat(path).then((s) => s.isFile(), () => false);
    const accepted = entry.sha256 === 'unknown' ? await this.acceptedDigest(entry) : undefined;
    const expectedSha256 = entry.sha256 !== 'unknown' ? entry.sha256 : accepted?.sha256;
    const digestFrom = entry.sha256 !== 'unknown' ? 'manifest' : accepted ? 'accepted-at-import' : 'none';
    const base = { id: entry.id, path, expectedSha256, digestFrom } as const;
    if (!present) {
      const state = entry.source.kind === 'user-supplied' ? 'user-supplied-missing' : 'missing';
      return { ...base, state, actualSha256: undefined, actualSize: undefined, detail: undefined };
    }
    const { sha256, size } = await hashFile(path);
    const expectedSize = entry.size !== 'unknown' ? entry.size : accepted?.size;
    let detail: string | undefined;
    if (expectedSha256 === undefined) detail = 'no digest to check against (import it again with --sha256 or --accept-digest)';
    else if (sha256 !== expectedSha256) detail = `sha256 ${sha256} != expected ${expectedSha256}`;
    else if (expectedSize !== undefined && size !== expectedSize) detail = `size ${size} != expected ${expectedSize}`;
    return { ...base, state: detail ? 'mismatch' : 'verified', actualSha256: sha256, actualSize: size, detail };
  }

  /**
   * Absolute path of a verified artefact. Throws ArtifactMissingError (with the fetch or import
   * hint) when it is absent, and CachedArtifactCorruptError (a DigestMismatchError of kind
   * environment) when the cached bytes are not the pinned ones.
   */
  async resolve(entry: ArtifactEntry): Promise<string> {
    const s = await this.status(entry);
    if (s.state === 'verified') return s.path;
    if (s.state === 'mismatch') {
      const repair =
        entry.source.kind === 'user-supplied'
          ? `import it again: \`boardkit firmware import FILE --id ${entry.id}\` (${entry.obtain ?? 'see the manifest'})`
          : `replace it: \`boardkit firmware fetch ${entry.id}\``;
      throw new CachedArtifactCorruptError(entry.id, s.path, s.expectedSha256 ?? '(none recorded)', s.actualSha256 ?? '?', repair);
    }
    throw new ArtifactMissingError(entry.id, `not in the cache (${s.path})`, obtainHint(entry));
  }

  /**
   * Installs `build(stagingDir)`'s output as the artefact, atomically. `build` must write
   * `<stagingDir>/<filename>` (and may write accepted.json); the result is verified against
   * `expected` before the rename. On any failure the staging directory is removed and the
   * previous cache content is untouched.
   */
  async install(
    entry: ArtifactEntry,
    expected: { sha256: string; size?: number | undefined },
    build: (stagingDir: string) => Promise<void>,
  ): Promise<string> {
    await mkdir(this.root, { recursive: true });
    const staging = join(this.root, `.staging-${entry.id}-${randomBytes(6).toString('hex')}`);
    await mkdir(staging);
    try {
      await build(staging);
      const { sha256, size } = await hashFile(join(staging, entry.filename));
      if (sha256 !== expected.sha256) throw new DigestMismatchError(entry.id, expected.sha256, sha256);
      if (expected.size !== undefined && size !== expected.size) {
        throw new DigestMismatchError(entry.id, String(expected.size), String(size), 'size');
      }
      const final = this.dirOf(entry);
      // rename(2) cannot replace a non-empty directory: move the old one aside first, then drop it.
      const old = `${final}.old-${randomBytes(6).toString('hex')}`;
      const hadOld = await rename(final, old).then(() => true, () => false);
      await rename(staging, final);
      if (hadOld) await rm(old, { recursive: true, force: true });
      return this.pathOf(entry);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async writeAccepted(stagingDir: string, accepted: AcceptedDigest): Promise<void> {
    await writeFile(join(stagingDir, ACCEPTED_FILE), `${JSON.stringify(accepted, null, 2)}\n`);
  }
}

/** How to get an artefact, for hints: the fetch command, or the manifest's obtain text. */
export function obtainHint(entry: ArtifactEntry): string {
  switch (entry.source.kind) {
    case 'deb':
      return `run \`boardkit firmware fetch ${entry.id}\` (downloads ${entry.source.package}${entry.source.arch ? `:${entry.source.arch}` : ''}=${entry.version} from the Debian archive with apt-get download and unpacks ${entry.source.path}; \`boardkit doctor\` checks the apt sources it needs)`;
    case 'url':
      return `run \`boardkit firmware fetch ${entry.id}\` (downloads ${formatSource(entry.source).slice(4)})`;
    case 'user-supplied':
      return `user-supplied: ${entry.obtain ?? ''}`.trim();
  }
}
