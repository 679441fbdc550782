import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../src/artifacts/artifact-cache.js';
import { fetchArtifacts } from '../../src/artifacts/artifact-fetcher.js';
import { loadManifests } from '../../src/artifacts/manifest-loader.js';
import { resolveArtifact } from '../../src/artifacts/resolve-artifact.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';

/**
 * Real `apt-get download` + `dpkg-deb -x` from the Debian archive (network to the host's configured apt source).
 * Oracles: `sha256sum` (coreutils) on the cached file, and the same file as installed by dpkg
 * from the host's own opensbi package when its version is the pinned one.
 */
const hasApt = existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg-deb');
const arm64 = hasApt && execFileSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).split('\n').includes('arm64');

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.skipIf(!hasApt)('fetch from the Debian archive', () => {
  it('opensbi (and u-boot-rpi:arm64 when the arm64 architecture is configured) fetch, verify and resolve', { timeout: 180_000 }, async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'boardkit-debfetch-'));
    dirs.push(cacheDir);
    const manifests = loadManifests();
    const ids = ['opensbi-fw-jump', 'opensbi-fw-dynamic', ...(arm64 ? ['u-boot-rpi-3'] : [])];
    const results = await fetchArtifacts(ids.map((id) => manifests.get(id)), new ArtifactCache(cacheDir), { spawner: new NodeSpawner() });
    for (const r of results) expect(r.outcome, `${r.id}: ${r.error?.message ?? ''} ${r.error?.hint ?? ''}`).toBe('fetched');
    for (const id of ids) {
      const path = await resolveArtifact(id, { manifests, cacheDir });
      const sum = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
      expect(sum).toBe(manifests.get(id).sha256);
    }
    const installed = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
    const hostVersion = (() => {
      try {
        return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'opensbi'], { encoding: 'utf8' });
      } catch {
        return undefined;
      }
    })();
    if (hostVersion === manifests.get('opensbi-fw-jump').version && existsSync(installed)) {
      expect(readFileSync(await resolveArtifact('opensbi-fw-jump', { manifests, cacheDir })).equals(readFileSync(installed))).toBe(true);
    }
    expect((await readdir(join(cacheDir, 'artifacts'))).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
