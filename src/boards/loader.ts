import { readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { core as zcore } from 'zod';
import { BoardkitError } from '../core/errors.js';
import { ProfileValidationError, sortIssues, type ProfileIssue } from './issues.js';
import { deepMerge, isPlainObject } from './merge.js';
import { BoardRegistry, type LoadedProfile } from './registry.js';
import { RULES, type RuleContext } from './rules.js';
import { boardProfileSchema, type BoardProfile } from './schema.js';
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
      const real = await realpath(p);
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
 * (a fault inside a parent is reported at the parent's line).
 */
export async function loadProfileFiles(files: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const show = (f: string) => (options.relativeTo ? relative(options.relativeTo, f) || f : f);
  const issues: ProfileIssue[] = [];
  const entries = new Map<string, Entry>();
  const issueAt = (src: YamlSource, path: PathSegment[], rule: string, message: string, key = false) => {
    const { line, col } = src.locate(path, { key });
    issues.push({ file: show(src.file), line, col, rule, message, path: path.join('.') });
  };

  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new BoardkitError('E_PROFILE_READ', 'usage', `cannot read profile '${file}'`, { cause: err, hint: 'check the path' });
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
    if (typeof id !== 'string' || id === '') {
      issueAt(src, typeof id === 'undefined' ? [] : ['id'], typeof id === 'undefined' ? 'missing-field' : 'wrong-type', "a profile needs a string 'id'");
      continue;
    }
    const prior = entries.get(id);
    if (prior) {
      issueAt(src, ['id'], 'duplicate-id', `id '${id}' is already defined in ${prior.shownFile}`);
      continue;
    }
    entries.set(id, { src, raw: src.value, id, shownFile: show(file) });
  }

  const loaded: LoadedProfile[] = [];
  const invalid: string[] = [];
  for (const entry of entries.values()) {
    const chain = resolveChain(entry, entries, issueAt);
    if (!chain) {
      invalid.push(entry.id);
      continue;
    }
    const before = issues.length;
    const merged = chain.reduceRight<unknown>((acc, e) => deepMerge(acc, { ...e.raw, extends: e.raw.extends }), {});
    if (isPlainObject(merged)) merged.extends = entry.raw.extends;
    const parsed = boardProfileSchema.safeParse(merged);
    if (!parsed.success) {
      for (const zi of parsed.error.issues) reportZodIssue(zi, chain, issueAt);
    } else {
      for (const rule of RULES) {
        for (const f of rule.check(parsed.data, options)) {
          const layer = chain.find((e) => e.src.has(f.path)) ?? deepestLayer(chain, f.path);
          issueAt(layer.src, f.path, rule.name, f.message, f.key);
        }
      }
    }
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
) {
  const path = zi.path.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number');
  const where = path.length ? path.join('.') : 'the profile';
  if (zi.code === 'unrecognized_keys') {
    for (const key of zi.keys) {
      const full = [...path, key];
      const layer = chain.find((e) => e.src.has(full)) ?? deepestLayer(chain, full);
      issueAt(layer.src, full, 'unknown-key', `unknown key '${key}' in ${where} (boards/board.schema.json lists the allowed keys)`, true);
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
