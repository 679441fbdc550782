import { ArtifactCache } from './artifact-cache.js';
import { defaultCacheDir } from '../core/cache-dir.js';
import { BUILTIN_MANIFEST_DIR, loadManifests, type ManifestSet } from './manifest-loader.js';

export interface ResolveOptions {
  /** Default: defaultCacheDir() ($BOARDKIT_CACHE_DIR, $XDG_CACHE_HOME/boardkit, ~/.cache/boardkit). */
  readonly cacheDir?: string;
  /** Already loaded manifests; else loaded from manifestDir (default: the built-in ones). */
  readonly manifests?: ManifestSet;
  readonly manifestDir?: string;
}

/**
 * Absolute path of artefact `id` in the cache, after checking its sha256 (and size) against the
 * manifest, or against the digest accepted at import for user-supplied ones.
 * Throws UnknownArtifactError (no such id), ArtifactMissingError (not cached; the hint is the
 * exact fetch command or the manifest's `obtain` text), DigestMismatchError (wrong bytes).
 */
export async function resolveArtifact(id: string, options: ResolveOptions = {}): Promise<string> {
  const manifests = options.manifests ?? loadManifests(options.manifestDir ?? BUILTIN_MANIFEST_DIR);
  return new ArtifactCache(options.cacheDir ?? defaultCacheDir()).resolve(manifests.get(id));
}
