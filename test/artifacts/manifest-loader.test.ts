import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestValidationError, type ManifestIssue } from '../../src/artifacts/manifest-errors.js';
import { BUILTIN_MANIFEST_DIR, loadArtifactIds, loadManifestFiles, loadManifests } from '../../src/artifacts/manifest-loader.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function issuesOf(files: string[]): ManifestIssue[] {
  try {
    loadManifestFiles(files.map((f) => join(FIXTURES, f)));
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestValidationError);
    return (err as ManifestValidationError).issues;
  }
  throw new Error('expected validation to fail');
}

/** 1-based line and column of the first occurrence of `needle` in a fixture: an oracle independent of the loader. */
function positionOf(file: string, needle: string): { line: number; col: number } {
  const lines = readFileSync(join(FIXTURES, file), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`${needle} not in ${file}`);
  return { line: line + 1, col: lines[line]!.indexOf(needle) + 1 };
}

describe('built-in manifests', () => {
  it('all validate, ids are unique kebab-case, and Debian entries pin version, size and digest', () => {
    const set = loadManifests(BUILTIN_MANIFEST_DIR);
    expect(set.files.length).toBeGreaterThanOrEqual(7);
    for (const a of set.artifacts.values()) {
      expect(a.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      if (a.source.kind === 'deb') {
        expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(typeof a.size).toBe('number');
        expect(a.version).toMatch(/^\d/);
      } else {
        expect(a.obtain?.length ?? 0).toBeGreaterThan(80);
      }
    }
    const ids = loadArtifactIds();
    for (const id of ['opensbi-fw-jump', 'u-boot-qemu-riscv64-smode', 'ovmf-code-4m', 'ovmf-vars-4m', 'rpi-start4-elf', 'u-boot-rpi-3', 'rpi-dtb-bcm2712-rpi-5-b', 'u-boot-sifive-unmatched-spl']) {
      expect(ids.has(id), id).toBe(true);
    }
  });

  it('never names raspi-firmware anywhere but as a download source', () => {
    const set = loadManifests();
    const rpi = [...set.artifacts.values()].filter((a) => a.source.kind === 'deb' && a.source.package === 'raspi-firmware');
    expect(rpi.map((a) => a.filename).sort()).toEqual(
      ['bootcode.bin', 'fixup.dat', 'fixup4.dat', 'fixup4cd.dat', 'fixup_cd.dat', 'start.elf', 'start4.elf', 'start4cd.elf', 'start_cd.elf'].sort(),
    );
    expect(readFileSync(join(import.meta.dirname, '../../.ci/debian-packages.txt'), 'utf8')).not.toMatch(/^raspi-firmware/m);
  });
});

describe('manifest validation reports file:line:col with a rule name', () => {
  it('unknown key at the key itself', () => {
    const [issue, ...rest] = issuesOf(['invalid-unknown-key.yaml']);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ rule: 'unknown-key', path: 'artifacts.0.sha265', ...positionOf('invalid-unknown-key.yaml', 'sha265:') });
    expect(issue!.file).toBe(join(FIXTURES, 'invalid-unknown-key.yaml'));
  });

  it('bad sha256 at the value', () => {
    const issues = issuesOf(['invalid-bad-sha256.yaml']);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: 'bad-sha256', ...positionOf('invalid-bad-sha256.yaml', 'ABCDEF') });
  });

  it('bad source at the value', () => {
    const issues = issuesOf(['invalid-bad-source.yaml']);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: 'bad-source', ...positionOf('invalid-bad-source.yaml', 'ftp://') });
    expect(issues[0]!.message).toContain('deb:PACKAGE[:ARCH]:/PATH');
  });

  it('semantic rules: user-supplied needs obtain; fetchable needs a pinned sha256', () => {
    expect(issuesOf(['invalid-user-supplied-needs-obtain.yaml'])[0]).toMatchObject({ rule: 'user-supplied-needs-obtain', line: 2, col: 5 });
    expect(issuesOf(['invalid-fetchable-needs-sha256.yaml'])[0]).toMatchObject({
      rule: 'fetchable-needs-sha256',
      ...positionOf('invalid-fetchable-needs-sha256.yaml', 'unknown'),
    });
  });

  it('duplicate ids across files name the first declaration', () => {
    const issues = issuesOf(['dup/a.yaml', 'dup/b.yaml']);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: 'duplicate-id', file: join(FIXTURES, 'dup/b.yaml'), line: 2, col: 5 });
    expect(issues[0]!.message).toContain(`${join(FIXTURES, 'dup/a.yaml')}:2:5`);
  });

  it('reports every problem at once, in file order', () => {
    const issues = issuesOf(['invalid-many.yaml']);
    const f = 'invalid-many.yaml';
    const byRule = (rule: string) => issues.filter((i) => i.rule === rule);
    expect(byRule('bad-id')[0]).toMatchObject(positionOf(f, 'Bad_Id'));
    expect(byRule('unknown-key')[0]).toMatchObject(positionOf(f, 'colour'));
    expect(byRule('bad-source')[0]).toMatchObject(positionOf(f, 'deb:foo'));
    expect(byRule('missing-key')[0]).toMatchObject({ path: 'artifacts.1.id', ...positionOf(f, 'description: no id') });
    expect(issues.filter((i) => i.path === 'artifacts.0.size')[0]).toMatchObject(positionOf(f, '-3'));
    expect(issues.filter((i) => i.path === 'artifacts.0.redistributable')[0]).toMatchObject(positionOf(f, 'yes'));
    const lines = issues.map((i) => i.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    // The rendered message carries file:line:col for each.
    try {
      loadManifestFiles([join(FIXTURES, f)]);
    } catch (err) {
      expect((err as Error).message).toContain(`${join(FIXTURES, f)}:${positionOf(f, 'colour').line}:${positionOf(f, 'colour').col} unknown-key`);
    }
  });
});

describe('a YAML alias bomb in a manifest', () => {
  it('is a located yaml-syntax issue of that file, not an internal error', async () => {
    const { validateManifestText } = await import('../../src/artifacts/manifest-loader.js');
    const bomb = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'boards', 'alias-bomb.yaml'), 'utf8');
    const issues: ManifestIssue[] = [];
    expect(validateManifestText('bomb.yaml', bomb, issues)).toEqual([]);
    expect(issues).toEqual([expect.objectContaining({ file: 'bomb.yaml', rule: 'yaml-syntax', line: 3, message: expect.stringMatching(/alias bomb/) })]);
  });
});
