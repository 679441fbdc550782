import { ArtifactCache, obtainHint, type ArtifactState } from '../artifacts/artifact-cache.js';
import { fetchArtifacts, type FetchResult } from '../artifacts/artifact-fetcher.js';
import { importArtifact, type ImportOptions, type ImportResult } from '../artifacts/artifact-import.js';
import { loadManifests, type ManifestSet } from '../artifacts/manifest-loader.js';
import { formatSource, type ArtifactEntry } from '../artifacts/manifest-schema.js';
import type { ProgressSink } from '../core/progress.js';
import type { Spawner } from '../transports/spawner.js';

/** What every firmware workflow needs: where manifests and the cache are. */
export interface FirmwareContext {
  readonly manifestDir: string;
  readonly cacheDir: string;
}

export interface FirmwareListRow {
  readonly id: string;
  readonly state: ArtifactState;
  readonly source: string;
  readonly version: string;
  readonly filename: string;
  readonly licence: string;
  readonly redistributable: boolean;
  readonly path: string;
  readonly sha256: string;
  readonly digestFrom: 'manifest' | 'accepted-at-import' | 'none';
  readonly detail: string | undefined;
  /** How to get it when it is not verified: the fetch command, or the manifest's obtain text. */
  readonly hint: string | undefined;
  readonly description: string;
}

function select(manifests: ManifestSet, ids: readonly string[] | undefined): ArtifactEntry[] {
  return ids && ids.length > 0 ? ids.map((id) => manifests.get(id)) : [...manifests.artifacts.values()];
}

/** Status of every (or the named) artefacts. Hashes each cached file. */
export async function listFirmware(ctx: FirmwareContext, ids?: readonly string[]): Promise<FirmwareListRow[]> {
  const manifests = loadManifests(ctx.manifestDir);
  const cache = new ArtifactCache(ctx.cacheDir);
  const rows: FirmwareListRow[] = [];
  for (const entry of select(manifests, ids)) {
    const s = await cache.status(entry);
    rows.push({
      id: entry.id,
      state: s.state,
      source: formatSource(entry.source),
      version: entry.version,
      filename: entry.filename,
      licence: entry.licence,
      redistributable: entry.redistributable,
      path: s.path,
      sha256: s.expectedSha256 ?? entry.sha256,
      digestFrom: s.digestFrom,
      detail: s.detail,
      hint: s.state === 'verified' ? undefined : obtainHint(entry),
      description: entry.description,
    });
  }
  return rows;
}

export interface FetchFirmwareOptions {
  readonly ids?: readonly string[];
  readonly spawner: Spawner;
  readonly progress?: ProgressSink;
  readonly signal?: AbortSignal;
}

export interface FetchFirmwareReport {
  readonly results: FetchResult[];
  /** True when every fetchable artefact asked for is now verified (user-supplied ones are reported, not failures, unless named). */
  readonly ok: boolean;
}

/**
 * Fetches Debian/url artefacts into the cache. With no ids: every artefact; user-supplied ones
 * that are missing are listed with their obtain text but do not fail the run. A user-supplied id
 * named explicitly and missing does fail it (the caller asked for something it cannot have).
 */
export async function fetchFirmware(ctx: FirmwareContext, options: FetchFirmwareOptions): Promise<FetchFirmwareReport> {
  const manifests = loadManifests(ctx.manifestDir);
  const named = Boolean(options.ids && options.ids.length > 0);
  const results = await fetchArtifacts(select(manifests, options.ids), new ArtifactCache(ctx.cacheDir), {
    spawner: options.spawner,
    ...(options.progress ? { progress: options.progress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const ok = results.every((r) => r.outcome === 'fetched' || r.outcome === 'already-verified' || (!named && r.outcome === 'user-supplied-missing'));
  return { results, ok };
}

export interface VerifyFirmwareReport {
  readonly rows: FirmwareListRow[];
  /** Failures: mismatches always; missing ones when named, or when fetchable (they should have been fetched). */
  readonly failed: FirmwareListRow[];
  readonly ok: boolean;
}

export async function verifyFirmware(ctx: FirmwareContext, ids?: readonly string[]): Promise<VerifyFirmwareReport> {
  const named = Boolean(ids && ids.length > 0);
  const rows = await listFirmware(ctx, ids);
  const failed = rows.filter((r) => r.state === 'mismatch' || r.state === 'missing' || (named && r.state === 'user-supplied-missing'));
  return { rows, failed, ok: failed.length === 0 };
}

export async function importFirmware(ctx: FirmwareContext, id: string, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const manifests = loadManifests(ctx.manifestDir);
  return importArtifact(manifests.get(id), file, new ArtifactCache(ctx.cacheDir), options);
}
