import { readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { core as zcore } from 'zod';
import { nearestName } from '../core/did-you-mean.js';
import { BoardkitError } from '../core/errors.js';
import { ProfileValidationError, sortIssues, type ProfileIssue } from './issues.js';
import { deepMerge, isPlainObject } from './merge.js';
import { BoardRegistry, type LoadedProfile } from './registry.js';
import { RULES, type RuleContext } from './rules.js';
import { allowedKeysAt, boardJsonSchema, boardProfileSchema, type BoardProfile } from './schema.js';
import { parseYamlSource, type PathSegment, type YamlSource } from './yaml-source.js';

export interface LoadOptions extends RuleContext {
  /** Paths in issues are shown relative to this directory (default: as given). */
  relativeTo?: string;
}

export interface LoadResult {
  registry: BoardRegistry;
  /** Every problem found, in every file (empty when all profiles are valid). */
  issues: ProfileIssue[];
  /** Ids that failed validation (absent from the registry). */
  invalid: string[];
}

interface Entry {
  src: YamlSource;
  raw: Record<string, unknown>;
  id: string;
  shownFile: string;
}

/** The *.yaml / *.yml profile files of the directories, sorted, deduplicated by real path. */
export async function listProfileFiles(dirs: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      throw new BoardkitError('E_BOARDS_DIR', 'usage', `cannot read boards directory '${dir}'`, {
        cause: err,
        hint: 'pass an existing directory of *.yaml profiles to --boards-dir',
      });
    }
    for (const name of names.sort()) {
      if (!/\.ya?ml$/.test(name)) continue;
      const p = join(dir, name);
      const real = await realpath(p).catch((err: unknown) => {
        throw new BoardkitError('E_PROFILE_READ', 'input', `cannot read profile '${p}': ${(err as Error).message}`, {
          cause: err,
          hint: 'a broken symbolic link? remove it or point it at a profile',
        });
      });
      if (seen.has(real)) continue;
      seen.add(real);
      out.push(p);
    }
  }
  return out;
}

/**
 * Loads, merges (`extends`) and validates profiles from files. Never throws for invalid content:
 * every problem is returned as an issue, located at the file/line/column that holds the bad value
 * (a fault inside a parent is reported at the parent's line). One problem never hides another: a
 * file whose id is missing or already taken is still checked in full (it just never enters the
 * registry), and unknown keys do not stop the semantic rules.
 */
export async function loadProfileFiles(files: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const show = (f: string) => (options.relativeTo ? relative(options.relativeTo, f) || f : f);
  const issues: ProfileIssue[] = [];
  const entries = new Map<string, Entry>();
  const issueAt = (src: YamlSource, path: PathSegment[], rule: string, message: string, key = false) => {
    const { line, col } = src.locate(path, { key });
    issues.push({ file: show(src.file), line, col, rule, message, path: path.join('.') });
  };

  /** Files that cannot enter the registry (no usable id, or an id taken) but are still checked in full. */
  const unregistered: Entry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new BoardkitError('E_PROFILE_READ', missing ? 'usage' : 'input', missing ? `profile '${file}' does not exist` : `cannot read profile '${file}'`, {
        cause: err,
        hint: missing ? 'check the path' : 'a profile is a readable YAML file',
      });
    }
    const src = parseYamlSource(file, text);
    if (src.syntaxErrors.length > 0) {
      for (const e of src.syntaxErrors) issues.push({ file: show(file), line: e.line, col: e.col, rule: 'yaml-syntax', message: e.message, path: '' });
      continue;
    }
    if (!isPlainObject(src.value)) {
      issueAt(src, [], 'wrong-type', 'a board profile is a YAML mapping (id: ..., name: ..., ...)');
      continue;
    }
    const id = src.value.id;
    const entry = { src, raw: src.value, id: typeof id === 'string' ? id : '', shownFile: show(file) };
    // Without a usable id the file is still checked: a wrong or empty one is reported by the schema.
    if (typeof id !== 'string' || id === '') {
      if (id === undefined) issueAt(src, [], 'missing-field', "a profile needs its own 'id' (a parent's is not inherited)");
      unregistered.push(entry);
      continue;
    }
    const prior = entries.get(id);
    if (prior) {
      // Reported, and the file is still checked: a copy of a built-in with a typo shows both.
      issueAt(src, ['id'], 'duplicate-id', `id '${id}' is already defined in ${prior.shownFile}`);
      unregistered.push(entry);
      continue;
    }
    entries.set(id, entry);
  }

  const loaded: LoadedProfile[] = [];
  const invalid: string[] = [];
  let jsonSchema: Record<string, unknown> | undefined;
  const allowedKeys = (path: PathSegment[]) => allowedKeysAt(path, (jsonSchema ??= boardJsonSchema()));
  for (const entry of [...entries.values(), ...unregistered]) {
    const registered = entries.get(entry.id) === entry;
    const chain = resolveChain(entry, entries, issueAt);
    if (!chain) {
      if (registered) invalid.push(entry.id);
      continue;
    }
    const before = issues.length;
    const merged = chain.reduceRight<unknown>((acc, e) => deepMerge(acc, { ...e.raw, extends: e.raw.extends }), {});
    if (isPlainObject(merged)) {
      merged.extends = entry.raw.extends;
      // Ids are never inherited; a missing one is reported above, so the rest is checked without it.
      merged.id = entry.raw.id ?? 'unnamed';
    }
    const parsed = boardProfileSchema.safeParse(merged);
    if (!parsed.success) {
      const zodIssues = parsed.error.issues;
      for (const zi of zodIssues) reportZodIssue(zi, chain, issueAt, allowedKeys);
      // Unknown keys alone do not hide the semantic rules: check the profile without them too.
      if (zodIssues.every((zi) => zi.code === 'unrecognized_keys')) {
        const retry = boardProfileSchema.safeParse(withoutKeys(merged, zodIssues));
        if (retry.success) runRules(retry.data, chain, options, issueAt);
      }
    } else runRules(parsed.data, chain, options, issueAt);
    if (!registered) continue;
    if (issues.length === before && parsed.success) {
      loaded.push({ profile: parsed.data as BoardProfile, file: entry.src.file, chain: chain.map((e) => e.id) });
    } else invalid.push(entry.id);
  }
  return { registry: new BoardRegistry(loaded), issues: sortIssues(issues), invalid: invalid.sort() };
}

/** Loads every profile of the directories; throws ProfileValidationError listing all issues. */
export async function loadBoards(dirs: readonly string[], options: LoadOptions = {}): Promise<BoardRegistry> {
  const result = await loadProfileFiles(await listProfileFiles(dirs), options);
  if (result.issues.length > 0) throw new ProfileValidationError(result.issues);
  return result.registry;
}

function runRules(
  profile: BoardProfile,
  chain: Entry[],
  options: RuleContext,
  issueAt: (src: YamlSource, path: PathSegment[], rule: string, message: string, key?: boolean) => void,
): void {
  for (const rule of RULES) {
    for (const f of rule.check(profile, options)) {
      const layer = chain.find((e) => e.src.has(f.path)) ?? deepestLayer(chain, f.path);
      issueAt(layer.src, f.path, rule.name, f.message, f.key);
    }
  }
}

/** A deep copy of the merged profile without the keys zod did not recognise. */
function withoutKeys(merged: unknown, zodIssues: readonly zcore.$ZodIssue[]): unknown {
  const copy = structuredClone(merged);
  for (const zi of zodIssues) {
    if (zi.code !== 'unrecognized_keys') continue;
    let node: unknown = copy;
    for (const seg of zi.path) node = isPlainObject(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[seg as PropertyKey] : undefined;
    if (isPlainObject(node)) for (const key of zi.keys) delete node[key];
  }
  return copy;
}

function resolveChain(
  entry: Entry,
  entries: Map<string, Entry>,
  issueAt: (src: YamlSource, path: PathSegment[], rule: string, message: string) => void,
): Entry[] | undefined {
  const chain: Entry[] = [entry];
  let cur = entry;
  while (cur.raw.extends !== undefined) {
    const parentId = cur.raw.extends;
    if (typeof parentId !== 'string') {
      issueAt(cur.src, ['extends'], 'wrong-type', 'extends takes the id of another profile');
      return undefined;
    }
    if (chain.some((e) => e.id === parentId)) {
      issueAt(cur.src, ['extends'], 'extends-cycle', `extends cycle: ${[...chain.map((e) => e.id), parentId].join(' -> ')}`);
      return undefined;
    }
    const parent = entries.get(parentId);
    if (!parent) {
      issueAt(cur.src, ['extends'], 'extends-unknown', `extends '${parentId}', but no profile has that id (known: ${[...entries.keys()].sort().join(', ')})`);
      return undefined;
    }
    chain.push(parent);
    cur = parent;
  }
  return chain;
}

/** The layer holding the longest prefix of the path (the child wins ties). */
function deepestLayer(chain: Entry[], path: PathSegment[]): Entry {
  let best = chain[0]!;
  let bestLen = -1;
  for (const e of chain) {
    for (let n = path.length; n >= 0; n--) {
      if (e.src.has(path.slice(0, n))) {
        if (n > bestLen) {
          best = e;
          bestLen = n;
        }
        break;
      }
    }
  }
  return best;
}

function reportZodIssue(
  zi: zcore.$ZodIssue,
  chain: Entry[],
  issueAt: (src: YamlSource, path: PathSegment[], rule: string, message: string, key?: boolean) => void,
  allowedKeys: (path: PathSegment[]) => string[],
) {
  const path = zi.path.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number');
  const where = path.length ? path.join('.') : 'the profile';
  if (zi.code === 'unrecognized_keys') {
    const allowed = allowedKeys(path);
    for (const key of zi.keys) {
      const full = [...path, key];
      const layer = chain.find((e) => e.src.has(full)) ?? deepestLayer(chain, full);
      const near = nearestName(key, allowed);
      const message = near
        ? `unknown key '${key}': did you mean '${near}'? (in ${where})`
        : `unknown key '${key}' in ${where}; allowed: ${allowed.join(', ')}`;
      issueAt(layer.src, full, 'unknown-key', message, true);
    }
    return;
  }
  const layer = chain.find((e) => e.src.has(path)) ?? deepestLayer(chain, path);
  if (zi.code === 'invalid_type' && /received undefined/.test(zi.message)) {
    issueAt(layer.src, path.slice(0, -1), 'missing-field', `required field '${path.join('.')}' is missing (expected ${zi.expected})`);
  } else if (zi.code === 'invalid_type') {
    issueAt(layer.src, path, 'wrong-type', `${where}: expected ${zi.expected}`);
  } else {
    issueAt(layer.src, path, 'invalid-value', `${where}: ${zi.message}`);
  }
}
