import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where boardkit caches what it fetches or learns (firmware artefacts, the KVM probe answer):
 * `$BOARDKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/boardkit`, else `~/.cache/boardkit`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BOARDKIT_CACHE_DIR) return resolve(env.BOARDKIT_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'boardkit');
}
