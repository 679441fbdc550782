import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoardkitError, asBoardkitError, ToolFailedError } from '../core/errors.js';
import { noProgress, type ProgressSink } from '../core/progress.js';
import type { Spawner } from '../transports/spawner.js';
import { obtainHint, type ArtifactCache } from './artifact-cache.js';
import { ArtifactMissingError } from './manifest-errors.js';
import type { ArtifactEntry } from './manifest-schema.js';

export interface FetchOptions {
  readonly spawner: Spawner;
  readonly progress?: ProgressSink;
  readonly signal?: AbortSignal;
  /** Where .debs are downloaded and unpacked (default os.tmpdir()); removed afterwards. */
  readonly tmpDir?: string;
}

export type FetchOutcome = 'fetched' | 'already-verified' | 'user-supplied-missing' | 'failed';

export interface FetchResult {
  readonly id: string;
  readonly outcome: FetchOutcome;
  readonly path: string;
  readonly error?: BoardkitError;
  /** For artefacts that cannot be fetched: where they come from and how to import them. */
  readonly obtain?: string;
}

const SOURCE = 'firmware.fetch';

/**
 * Brings artefacts into the cache. Debian ones: one `apt-get download PKG[:ARCH]=VERSION` per
 * package (the manifest pins the version, so the digest can match), `dpkg-deb -x` into a temp dir,
 * then each file is verified and renamed into place (ArtifactCache.install). Already verified
 * artefacts are left alone. Never throws for one artefact's failure: each result says what
 * happened, so one missing apt source does not hide the others.
 */
export async function fetchArtifacts(
  entries: readonly ArtifactEntry[],
  cache: ArtifactCache,
  options: FetchOptions,
): Promise<FetchResult[]> {
  const progress = options.progress ?? noProgress;
  const results = new Map<string, FetchResult>();
  const pending: ArtifactEntry[] = [];
  for (const entry of entries) {
    const status = await cache.status(entry);
    if (status.state === 'verified') {
      results.set(entry.id, { id: entry.id, outcome: 'already-verified', path: status.path });
      progress({ source: SOURCE, type: 'skip', message: `${entry.id}: already cached and verified`, data: { id: entry.id } });
    } else if (entry.source.kind === 'user-supplied') {
      results.set(entry.id, { id: entry.id, outcome: 'user-supplied-missing', path: status.path, obtain: entry.obtain ?? '' });
      progress({ source: SOURCE, type: 'user-supplied', message: `${entry.id}: user-supplied, import it`, data: { id: entry.id } });
    } else pending.push(entry);
  }

  // One download per Debian package (several artefacts come from the same .deb).
  const groups = new Map<string, ArtifactEntry[]>();
  for (const entry of pending) {
    const key = entry.source.kind === 'deb' ? `deb:${entry.source.package}:${entry.source.arch ?? ''}=${entry.version}` : `url:${entry.id}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  let done = 0;
  const total = pending.length;
  for (const group of groups.values()) {
    options.signal?.throwIfAborted();
    const first = group[0]!;
    const work = join(await mkdtemp(join(options.tmpDir ?? tmpdir(), 'boardkit-fetch-')));
    try {
      const fileOf = first.source.kind === 'deb' ? await downloadDeb(first, work, options, progress) : undefined;
      for (const entry of group) {
        try {
          const path = await cache.install(entry, { sha256: entry.sha256, size: entry.size === 'unknown' ? undefined : entry.size }, async (staging) => {
            if (entry.source.kind === 'deb') await copyFile(fileOf!(entry.source.path), join(staging, entry.filename));
            else if (entry.source.kind === 'url') await downloadUrl(entry.source.url, join(staging, entry.filename), options);
          });
          results.set(entry.id, { id: entry.id, outcome: 'fetched', path });
          progress({ source: SOURCE, type: 'done', message: `${entry.id}: verified and cached`, done: ++done, total, data: { id: entry.id, path } });
        } catch (err) {
          results.set(entry.id, failed(entry, cache, err));
          progress({ source: SOURCE, type: 'error', message: `${entry.id}: ${asBoardkitError(err).message}`, done: ++done, total, data: { id: entry.id } });
        }
      }
    } catch (err) {
      for (const entry of group) {
        results.set(entry.id, failed(entry, cache, err));
        progress({ source: SOURCE, type: 'error', message: `${entry.id}: ${asBoardkitError(err).message}`, done: ++done, total, data: { id: entry.id } });
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return entries.map((e) => results.get(e.id)!);
}

function failed(entry: ArtifactEntry, cache: ArtifactCache, err: unknown): FetchResult {
  const e = asBoardkitError(err);
  const error = e.kind === 'internal' ? new ArtifactMissingError(entry.id, e.message, obtainHint(entry), { cause: err }) : e;
  return { id: entry.id, outcome: 'failed', path: cache.pathOf(entry), error };
}

/** Downloads and unpacks the pinned .deb; returns a function from package path to unpacked file. */
async function downloadDeb(
  entry: ArtifactEntry,
  work: string,
  options: FetchOptions,
  progress: ProgressSink,
): Promise<(path: string) => string> {
  if (entry.source.kind !== 'deb') throw new Error('not a deb source');
  const { package: pkg, arch } = entry.source;
  const spec = `${pkg}${arch ? `:${arch}` : ''}=${entry.version}`;
  progress({ source: SOURCE, type: 'download', message: `apt-get download ${spec}`, data: { package: pkg, arch, version: entry.version } });
  const dl = await options.spawner.run('apt-get', ['download', '-q', spec], { cwd: work, signal: options.signal, timeoutMs: 300_000 });
  if (dl.exitCode !== 0) throw aptDownloadError(entry, spec, dl.exitCode, dl.stderr.toString());
  const deb = (await readdir(work)).find((f) => f.endsWith('.deb'));
  if (!deb) throw new ToolFailedError('apt-get', dl.exitCode, `no .deb appeared in ${work}`);
  progress({ source: SOURCE, type: 'extract', message: `dpkg-deb -x ${deb}`, data: { deb } });
  const root = join(work, 'root');
  const x = await options.spawner.run('dpkg-deb', ['-x', join(work, deb), root], { signal: options.signal, timeoutMs: 120_000 });
  if (x.exitCode !== 0) throw new ToolFailedError('dpkg-deb', x.exitCode, x.stderr.toString());
  return (path) => join(root, path);
}

async function downloadUrl(url: string, dest: string, options: FetchOptions): Promise<void> {
  const r = await options.spawner.run('curl', ['-fsSL', '--retry', '2', '-o', dest, url], { signal: options.signal, timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new ToolFailedError('curl', r.exitCode, r.stderr.toString());
}

/** Turns apt's wording into the fix: a missing source/architecture, or a version the archive dropped. */
export function aptDownloadError(entry: ArtifactEntry, spec: string, exitCode: number | null, stderr: string): BoardkitError {
  const src = entry.source.kind === 'deb' ? entry.source : undefined;
  if (/Version '.*' for '.*' was not found/.test(stderr)) {
    return new BoardkitError('E_DEB_VERSION_GONE', 'environment', `the Debian archive no longer has ${spec}`, {
      hint: `the manifest pins ${entry.version} (and its sha256). Either update the entry after checking the archive's current ${src?.package} (version, size, sha256 in ${entry.declaredAt}), or download the pinned .deb (${src?.package} ${entry.version}) from Debian's snapshot archive and unpack ${src?.path} yourself, then \`boardkit firmware import FILE --id ${entry.id}\``,
      details: { stderr },
    });
  }
  if (/Unable to locate package|has no installation candidate|Can't select candidate|No packages found/.test(stderr)) {
    const needs = src?.arch && src.arch !== 'amd64'
      ? `the ${src.arch} foreign architecture (dpkg --add-architecture ${src.arch} && apt-get update)`
      : src?.package === 'raspi-firmware'
        ? 'the non-free-firmware component in the apt sources (then apt-get update)'
        : 'an apt source that carries it (then apt-get update)';
    return new BoardkitError('E_DEB_UNAVAILABLE', 'environment', `apt cannot find ${spec}`, {
      hint: `this host's apt needs ${needs}; \`boardkit doctor\` shows the exact commands and \`boardkit doctor --fix\` (as root) applies them`,
      details: { stderr },
    });
  }
  return new ToolFailedError('apt-get', exitCode, stderr, { hint: `\`apt-get download ${spec}\` failed; check the network and \`apt-get update\`` });
}
