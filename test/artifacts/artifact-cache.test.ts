import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../src/artifacts/artifact-cache.js';
import { fetchArtifacts } from '../../src/artifacts/artifact-fetcher.js';
import { importArtifact } from '../../src/artifacts/artifact-import.js';
import { ArtifactMissingError, CachedArtifactCorruptError, DigestMismatchError } from '../../src/artifacts/manifest-errors.js';
import { loadManifests, type ManifestSet } from '../../src/artifacts/manifest-loader.js';
import { resolveArtifact } from '../../src/artifacts/resolve-artifact.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import type { RunOptions, RunResult, Spawner } from '../../src/transports/spawner.js';

const sha = (b: string) => createHash('sha256').update(b).digest('hex');
const GOOD_A = 'firmware A bytes\n';
const GOOD_B = 'firmware B bytes, longer\n';

/** A fake apt-get/dpkg-deb: `download` drops a .deb in cwd, `-x` unpacks the given tree. */
class FakeDebSpawner implements Spawner {
  calls: string[][] = [];
  constructor(
    private tree: Record<string, string>,
    private aptStderr?: string,
  ) {}
  async run(tool: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push([tool, ...args]);
    const ok = (): RunResult => ({ exitCode: 0, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false });
    if (tool === 'apt-get') {
      if (this.aptStderr) return { ...ok(), exitCode: 100, stderr: Buffer.from(this.aptStderr) };
      const spec = args[args.length - 1]!;
      await writeFile(join(options.cwd!, `${spec.replace(/[:=]/g, '_')}_all.deb`), 'deb');
      return ok();
    }
    if (tool === 'dpkg-deb') {
      const root = args[2]!;
      for (const [p, content] of Object.entries(this.tree)) {
        await mkdir(dirname(join(root, p)), { recursive: true });
        await writeFile(join(root, p), content);
      }
      return ok();
    }
    throw new Error(`unexpected tool ${tool}`);
  }
  async spawn(): Promise<never> {
    throw new Error('not used');
  }
  async which(tool: string) {
    return `/usr/bin/${tool}`;
  }
}

let dir: string;
let manifests: ManifestSet;
let cache: ArtifactCache;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-artifacts-'));
  await mkdir(join(dir, 'manifests'));
  await writeFile(
    join(dir, 'manifests', 'test.yaml'),
    `artifacts:
  - id: blob-a
    description: a
    version: 1.0-1
    size: ${GOOD_A.length}
    sha256: ${sha(GOOD_A)}
    licence: MIT
    redistributable: true
    source: deb:fake-fw:/usr/lib/fake/a.bin
  - id: blob-b
    description: b
    version: 1.0-1
    size: ${GOOD_B.length}
    sha256: ${sha(GOOD_B)}
    licence: MIT
    redistributable: true
    source: deb:fake-fw:arm64:/usr/lib/fake/b.bin
  - id: user-dtb
    description: user supplied
    version: upstream 1
    size: unknown
    sha256: unknown
    licence: GPL-2.0-only
    redistributable: true
    source: user-supplied
    filename: board.dtb
    obtain: get it from the vendor and import it with boardkit firmware import
`,
  );
  manifests = loadManifests(join(dir, 'manifests'));
  cache = new ArtifactCache(join(dir, 'cache'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entries = () => [...manifests.artifacts.values()];
const leftovers = async () => (await readdir(cache.root).catch(() => [])).filter((f) => f.startsWith('.'));

describe('fetch into the cache', () => {
  it('downloads the pinned version once per package, verifies, installs, and explains user-supplied ones', async () => {
    const spawner = new FakeDebSpawner({ '/usr/lib/fake/a.bin': GOOD_A, '/usr/lib/fake/b.bin': GOOD_B });
    const events: ProgressEvent[] = [];
    const results = await fetchArtifacts(entries(), cache, { spawner, progress: (e) => events.push(e), tmpDir: dir });
    expect(results.map((r) => [r.id, r.outcome])).toEqual([
      ['blob-a', 'fetched'],
      ['blob-b', 'fetched'],
      ['user-dtb', 'user-supplied-missing'],
    ]);
    expect(results[2]!.obtain).toContain('get it from the vendor');
    // arch-qualified sources are separate downloads; each pins its version
    expect(spawner.calls.filter((c) => c[0] === 'apt-get').map((c) => c.at(-1))).toEqual(['fake-fw=1.0-1', 'fake-fw:arm64=1.0-1']);
    expect(await readFile(await cache.resolve(manifests.get('blob-a')), 'utf8')).toBe(GOOD_A);
    expect(events.some((e) => e.source === 'firmware.fetch' && e.type === 'done' && e.total === 2)).toBe(true);
    expect(await leftovers()).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.startsWith('boardkit-fetch-'))).toEqual([]);
    // Second run: nothing downloaded.
    spawner.calls = [];
    const again = await fetchArtifacts(entries().slice(0, 2), cache, { spawner, tmpDir: dir });
    expect(again.map((r) => r.outcome)).toEqual(['already-verified', 'already-verified']);
    expect(spawner.calls).toEqual([]);
  });

  it('a digest mismatch installs nothing and leaves the previous good copy untouched', async () => {
    await fetchArtifacts([manifests.get('blob-a')], cache, { spawner: new FakeDebSpawner({ '/usr/lib/fake/a.bin': GOOD_A }), tmpDir: dir });
    const path = cache.pathOf(manifests.get('blob-a'));
    await writeFile(path, 'corrupted'); // now stale → fetch again, but the archive serves wrong bytes
    const [r] = await fetchArtifacts([manifests.get('blob-a')], cache, { spawner: new FakeDebSpawner({ '/usr/lib/fake/a.bin': 'evil' }), tmpDir: dir });
    expect(r!.outcome).toBe('failed');
    expect(r!.error).toBeInstanceOf(DigestMismatchError);
    expect(await readFile(path, 'utf8')).toBe('corrupted');
    expect(await leftovers()).toEqual([]);
    // and from an empty cache, nothing appears at all
    const [r2] = await fetchArtifacts([manifests.get('blob-b')], cache, { spawner: new FakeDebSpawner({ '/usr/lib/fake/b.bin': 'evil' }), tmpDir: dir });
    expect(r2!.outcome).toBe('failed');
    expect(existsSync(cache.dirOf(manifests.get('blob-b')))).toBe(false);
  });

  it('apt cannot locate an arm64 package → environment error whose hint names the architecture and doctor', async () => {
    const spawner = new FakeDebSpawner({}, 'E: Unable to locate package fake-fw:arm64\n');
    const [r] = await fetchArtifacts([manifests.get('blob-b')], cache, { spawner, tmpDir: dir });
    expect(r!.error?.code).toBe('E_DEB_UNAVAILABLE');
    expect(r!.error?.kind).toBe('environment');
    expect(r!.error?.hint).toContain('dpkg --add-architecture arm64');
    expect(r!.error?.hint).toContain('boardkit doctor --fix');
  });

  it('a version the archive dropped → hint names the snapshot archive with package and version and the manifest line', async () => {
    const spawner = new FakeDebSpawner({}, "E: Version '1.0-1' for 'fake-fw' was not found\n");
    const [r] = await fetchArtifacts([manifests.get('blob-a')], cache, { spawner, tmpDir: dir });
    expect(r!.error?.code).toBe('E_DEB_VERSION_GONE');
    expect(r!.error?.hint).toContain("pinned .deb (fake-fw 1.0-1) from Debian's snapshot archive");
    expect(r!.error?.hint).not.toMatch(/https?:\/\//);
    expect(r!.error?.hint).toContain(join(dir, 'manifests', 'test.yaml'));
  });
});

describe('resolveArtifact', () => {
  it('missing → ArtifactMissingError with the exact fetch command; user-supplied → the obtain text', async () => {
    const opts = { manifests, cacheDir: join(dir, 'cache') };
    const err = await resolveArtifact('blob-a', opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactMissingError);
    expect((err as ArtifactMissingError).hint).toContain('boardkit firmware fetch blob-a');
    expect((err as ArtifactMissingError).hint).toContain('fake-fw=1.0-1');
    const err2 = await resolveArtifact('user-dtb', opts).catch((e: unknown) => e);
    expect((err2 as ArtifactMissingError).hint).toContain('get it from the vendor');
    await expect(resolveArtifact('no-such-thing', opts)).rejects.toThrow(/no firmware artefact with id 'no-such-thing'/);
  });
});

describe('a corrupt cached artefact', () => {
  it('resolve → host setup (kind environment, exit 3), naming the file, with the fetch (or import) command and verify', async () => {
    await fetchArtifacts([manifests.get('blob-a')], cache, { spawner: new FakeDebSpawner({ '/usr/lib/fake/a.bin': GOOD_A }), tmpDir: dir });
    const path = cache.pathOf(manifests.get('blob-a'));
    await writeFile(path, 'bit rot');
    const err = await cache.resolve(manifests.get('blob-a')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CachedArtifactCorruptError);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err).toMatchObject({ code: 'E_ARTIFACT_CORRUPT', kind: 'environment' });
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(sha('bit rot'));
    expect((err as CachedArtifactCorruptError).hint).toContain('boardkit firmware fetch blob-a');
    expect((err as CachedArtifactCorruptError).hint).toContain('boardkit firmware verify');
    // A user-supplied one is imported again, not fetched.
    const entry = manifests.get('user-dtb');
    const file = join(dir, 'board.dtb');
    await writeFile(file, 'dtb');
    const imported = await importArtifact(entry, file, cache, { acceptDigest: true });
    await writeFile(imported.path, 'tampered');
    const err2 = (await cache.resolve(entry).catch((e: unknown) => e)) as CachedArtifactCorruptError;
    expect(err2.kind).toBe('environment');
    expect(err2.hint).toContain('boardkit firmware import FILE --id user-dtb');
  });
});

describe('import', () => {
  it('pinned digest: the right file imports, a wrong one is refused', async () => {
    const good = join(dir, 'a.bin');
    await writeFile(good, GOOD_A);
    const r = await importArtifact(manifests.get('blob-a'), good, cache);
    expect(r).toMatchObject({ digestFrom: 'manifest', sha256: sha(GOOD_A) });
    const bad = join(dir, 'bad.bin');
    await writeFile(bad, 'nope');
    await expect(importArtifact(manifests.get('blob-b'), bad, cache)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(existsSync(cache.dirOf(manifests.get('blob-b')))).toBe(false);
  });

  it('unknown digest: refused without --sha256/--accept-digest; the accepted digest is then enforced', async () => {
    const entry = manifests.get('user-dtb');
    const file = join(dir, 'board.dtb');
    await writeFile(file, 'dtb v1');
    const err = await importArtifact(entry, file, cache).catch((e: unknown) => e);
    expect((err as Error).message).toContain('pins no digest');
    expect((err as { hint: string }).hint).toContain(sha('dtb v1'));
    await expect(importArtifact(entry, file, cache, { sha256: sha('something else') })).rejects.toBeInstanceOf(DigestMismatchError);
    const ok = await importArtifact(entry, file, cache, { sha256: sha('dtb v1') });
    expect(ok.digestFrom).toBe('stated-sha256');
    expect((await cache.status(entry)).state).toBe('verified');
    expect((await cache.status(entry)).digestFrom).toBe('accepted-at-import');
    await writeFile(ok.path, 'tampered');
    expect((await cache.status(entry)).state).toBe('mismatch');
    await expect(cache.resolve(entry)).rejects.toBeInstanceOf(DigestMismatchError);
    // Re-import with trust on first use replaces it atomically.
    await writeFile(file, 'dtb v2');
    expect((await importArtifact(entry, file, cache, { acceptDigest: true })).digestFrom).toBe('accept-digest');
    expect(await readFile(await cache.resolve(entry), 'utf8')).toBe('dtb v2');
    expect(await leftovers()).toEqual([]);
  });
});
