import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { parseYamlSource, type PathSegment, type YamlSource } from '../boards/yaml-source.js';
import { ManifestValidationError, UnknownArtifactError, type ManifestIssue } from './manifest-errors.js';
import { manifestFileSchema, parseSource, type ArtifactEntry, type ArtifactEntryInput } from './manifest-schema.js';
import { sortIssues } from '../core/located-issue.js';

/** The manifests shipped with boardkit (`<package root>/firmware-manifests`, from src/ or dist/). */
export const BUILTIN_MANIFEST_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'firmware-manifests');

/** Every artefact of every manifest in a directory, by id. Immutable once loaded. */
export interface ManifestSet {
  readonly artifacts: ReadonlyMap<string, ArtifactEntry>;
  readonly files: readonly string[];
  get(id: string): ArtifactEntry;
  ids(): string[];
}

/**
 * Loads and strictly validates `*.yaml` in `dir` (synchronous: a handful of small files, and board
 * validation needs the ids without going async). Throws ManifestValidationError with every issue
 * of every file, each at file:line:col.
 */
export function loadManifests(dir: string = BUILTIN_MANIFEST_DIR): ManifestSet {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
  return loadManifestFiles(files);
}

/** Ids of every artefact in the manifests (for the board rule `artifact-not-in-manifest`). */
export function loadArtifactIds(dir: string = BUILTIN_MANIFEST_DIR): Set<string> {
  return new Set(loadManifests(dir).ids());
}

export function loadManifestFiles(files: readonly string[]): ManifestSet {
  const issues: ManifestIssue[] = [];
  const artifacts = new Map<string, ArtifactEntry>();
  for (const file of files) {
    for (const entry of validateManifestText(file, readFileSync(file, 'utf8'), issues)) {
      const prior = artifacts.get(entry.id);
      if (prior) {
        const [line, col] = entry.declaredAt.split(':').slice(-2).map(Number);
        issues.push({ file, line: line ?? 1, col: col ?? 1, rule: 'duplicate-id', path: 'id', message: `artefact id '${entry.id}' is already declared at ${prior.declaredAt}` });
        continue;
      }
      artifacts.set(entry.id, entry);
    }
  }
  if (issues.length > 0) throw new ManifestValidationError(sortManifestIssues(issues));
  return {
    artifacts,
    files,
    get(id) {
      const a = artifacts.get(id);
      if (!a) throw new UnknownArtifactError(id, [...artifacts.keys()]);
      return a;
    },
    ids: () => [...artifacts.keys()],
  };
}

/** Validates one manifest's text; pushes issues, returns the entries that are valid. */
export function validateManifestText(file: string, text: string, issues: ManifestIssue[]): ArtifactEntry[] {
  const src = parseYamlSource(file, text);
  if (src.syntaxErrors.length > 0) {
    for (const e of src.syntaxErrors) issues.push({ file, line: e.line, col: e.col, rule: 'yaml-syntax', path: '', message: e.message });
    return [];
  }
  const parsed = manifestFileSchema.safeParse(src.value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(...schemaIssue(src, issue));
  }
  const raw = (src.value as { artifacts?: unknown } | null)?.artifacts;
  const entries: ArtifactEntry[] = [];
  if (!Array.isArray(raw)) return entries;
  const badIndices = new Set(
    parsed.success ? [] : parsed.error.issues.filter((i) => i.path[0] === 'artifacts').map((i) => i.path[1]),
  );
  raw.forEach((item: ArtifactEntryInput, index) => {
    if (badIndices.has(index)) return;
    const at = (path: PathSegment[], key = false) => src.locate(['artifacts', index, ...path], { key });
    const push = (rule: string, path: PathSegment[], message: string) => {
      const { line, col } = at(path, path.length > 0 && !src.has(['artifacts', index, ...path]));
      issues.push({ file, line, col, rule, path: ['artifacts', index, ...path].join('.'), message });
    };
    const source = parseSource(item.source)!;
    let ok = true;
    // Semantic rules (named): a fetchable artefact must be pinned, a user-supplied one must say how to get it.
    if (source.kind !== 'user-supplied' && item.sha256 === 'unknown') {
      push('fetchable-needs-sha256', ['sha256'], `a ${source.kind} artefact must pin its sha256 (only user-supplied ones may say 'unknown')`);
      ok = false;
    }
    if (source.kind !== 'user-supplied' && item.size === 'unknown') {
      push('fetchable-needs-size', ['size'], `a ${source.kind} artefact must pin its size`);
      ok = false;
    }
    if (source.kind === 'user-supplied' && !item.obtain) {
      push('user-supplied-needs-obtain', [], "a user-supplied artefact needs 'obtain': where it comes from and how to import it");
      ok = false;
    }
    if (source.kind === 'user-supplied' && !item.filename) {
      push('user-supplied-needs-filename', [], "a user-supplied artefact needs 'filename' (its name in the cache and in images)");
      ok = false;
    }
    if (!ok) return;
    const { line, col } = at([]);
    entries.push({
      id: item.id,
      description: item.description,
      version: item.version,
      size: item.size,
      sha256: item.sha256,
      licence: item.licence,
      redistributable: item.redistributable,
      source,
      filename: item.filename ?? (source.kind === 'deb' ? basename(source.path) : source.kind === 'url' ? basename(new URL(source.url).pathname) : ''),
      obtain: item.obtain,
      declaredAt: `${file}:${line}:${col}`,
    });
  });
  return entries;
}

/** Maps one zod issue to located manifest issues (one per unknown key), with a rule name. */
function schemaIssue(src: YamlSource, issue: z.core.$ZodIssue): ManifestIssue[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const last = path[path.length - 1];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const { line, col } = src.locate([...path, key], { key: true });
      return { file: src.file, line, col, rule: 'unknown-key', path: [...path, key].join('.'), message: `unknown key '${key}'` };
    });
  }
  const missing = !src.has(path);
  const rule = missing
    ? 'missing-key'
    : last === 'sha256'
      ? 'bad-sha256'
      : last === 'source'
        ? 'bad-source'
        : last === 'id'
          ? 'bad-id'
          : 'schema';
  // A missing key has no node: point at the map that lacks it.
  const where = missing ? path.slice(0, -1) : path;
  const { line, col } = src.locate(where);
  const message = missing
    ? `missing required key '${String(last)}'`
    : last === 'sha256' && typeof src.value === 'object'
      ? `${issue.message} (quote it if YAML read it as a number)`
      : `${String(last ?? 'document')}: ${issue.message}`;
  return [{ file: src.file, line, col, rule, path: path.join('.'), message }];
}

export function sortManifestIssues(issues: ManifestIssue[]): ManifestIssue[] {
  return sortIssues(issues);
}
