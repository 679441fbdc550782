import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Enforces docs/architecture.md ("Rooms and their import order", "Rules"): the import order
 * between rooms, no import circle between files, no product code importing the fakes in
 * src/transports/fake, who may touch hardware and host processes, that only the CLI prints, and
 * that commands load heavy modules lazily.
 */
const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

const ORDER = ['core', 'protocols', 'transports', 'boards', 'artifacts', 'console', 'image', 'payload', 'emulator', 'flash', 'netboot', 'hil', 'farm', 'workflows', 'cli'];
const HARDWARE = /^(node:)?(dgram|net|child_process)$|^serialport$|^@serialport\/|^usb$/;
const CLI_ONLY = /^(yargs|listr2)(\/|$)/;

interface ImportRef {
  spec: string;
  kind: 'static' | 'type' | 'dynamic' | 'require';
  line: number;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Every module reference: static imports/exports, import(), require() and createRequire(...)(). */
export function findImports(text: string): ImportRef[] {
  const refs: ImportRef[] = [];
  const lineOf = (i: number) => text.slice(0, i).split('\n').length;
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, (m, p: string) => p + ' '.repeat(m.length - p.length));
  const patterns: Array<[RegExp, (m: RegExpExecArray) => ImportRef['kind']]> = [
    [/\b(import|export)\s+(type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, (m) => (m[2] ? 'type' : 'static')],
    [/\bimport\s*['"]([^'"]+)['"]/g, () => 'static'],
    [/\bimport\s*\(\s*['"`]([^'"`]+)['"`]/g, () => 'dynamic'],
    [/\brequire\s*\(\s*['"`]([^'"`]+)['"`]/g, () => 'require'],
    [/\bcreateRequire\s*\([^)]*\)\s*\(\s*['"`]([^'"`]+)['"`]/g, () => 'require'],
  ];
  for (const [re, kind] of patterns) {
    for (let m = re.exec(noComments); m; m = re.exec(noComments)) {
      const spec = m[m.length - 1]!;
      refs.push({ spec, kind: kind(m), line: lineOf(m.index) });
    }
  }
  return refs;
}

function roomOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length === 1 ? 'index' : rel[0]!;
}

const FAKES = join(SRC, 'transports', 'fake') + sep;

/** The file in `files` an import specifier names (`./x.js` names `x.ts`), or undefined (a package, or outside the set). */
function resolveSource(from: string, spec: string, files: ReadonlySet<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = resolve(dirname(from), spec);
  const candidates = [target, target.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts').replace(/\.cjs$/, '.cts'), `${target}.ts`, join(target, 'index.ts')];
  return candidates.find((c) => files.has(c));
}

interface Edge {
  to: string;
  line: number;
  spec: string;
  kind: ImportRef['kind'];
}

/**
 * The import graph between files in src/, every kind of reference included: static, `import type`
 * (a type import is still a dependency someone reading or moving the file must follow), dynamic
 * `import()` and require.
 */
async function importGraph(): Promise<Map<string, Edge[]>> {
  const files = await sourceFiles(SRC);
  const set = new Set(files);
  const graph = new Map<string, Edge[]>();
  for (const file of files) {
    const edges: Edge[] = [];
    for (const ref of findImports(await readFile(file, 'utf8'))) {
      const to = resolveSource(file, ref.spec, set);
      if (to) edges.push({ to, line: ref.line, spec: ref.spec, kind: ref.kind });
    }
    graph.set(file, edges);
  }
  return graph;
}

/**
 * Every import circle: the strongly connected components (Tarjan) of more than one file, or of a
 * file that imports itself. Each is returned as one concrete circle through all of it, starting at
 * its first file in sort order: [a, b, ..., a].
 */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!)).map((c) => walkThrough(c, graph));
}

/** A closed walk from c[0] that visits every file of the strongly connected component c. */
function walkThrough(component: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const inside = new Set(component);
  const pathBetween = (from: string, to: string): string[] => {
    // Breadth-first inside the component: the shortest import path from `from` to `to`.
    const prev = new Map<string, string>();
    const queue = [from];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (!inside.has(w) || prev.has(w)) continue;
        prev.set(w, v);
        if (w === to) {
          const path = [w];
          for (let u = v; u !== from; u = prev.get(u)!) path.unshift(u);
          return path;
        }
        queue.push(w);
      }
    }
    throw new Error(`no path ${from} -> ${to} inside a strongly connected component`);
  };
  const walk = [component[0]!];
  for (const target of [...component.slice(1), component[0]!]) {
    if (target !== component[0] && walk.includes(target)) continue;
    walk.push(...pathBetween(walk[walk.length - 1]!, target));
  }
  return walk;
}

describe('architecture (docs/architecture.md)', () => {
  it('the import scanner sees static, type, dynamic, require and createRequire imports', () => {
    const refs = findImports(
      [
        "import a from '../x.js';",
        "import type { B } from './y.js';",
        "export * from './z.js';",
        "const m = await import('node:net');",
        "const r = require('usb');",
        "const q = createRequire(import.meta.url)('serialport');",
        "// import nope from 'node:dgram';",
        "import 'side-effect';",
      ].join('\n'),
    );
    expect(refs.map((r) => `${r.kind}:${r.spec}`).sort()).toEqual(
      ['dynamic:node:net', 'require:serialport', 'require:usb', 'static:../x.js', 'static:./z.js', 'static:side-effect', 'type:./y.js'].sort(),
    );
  });

  it('rooms import only rooms to their left; hardware only in transports/node; yargs/listr2 only in cli', async () => {
    const violations: string[] = [];
    const files = await sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const room = roomOf(file);
      const relFile = relative(ROOT, file);
      const inNodeTransports = relFile.startsWith(join('src', 'transports', 'node') + sep);
      const inFakeTransports = relFile.startsWith(join('src', 'transports', 'fake') + sep);
      for (const ref of findImports(text)) {
        const where = `${relFile}:${ref.line} imports '${ref.spec}'`;
        if (HARDWARE.test(ref.spec) && !inNodeTransports && ref.kind !== 'type')
          violations.push(`${where}: only src/transports/node/ may touch serialport, usb, node:dgram, node:net, node:child_process`);
        if (CLI_ONLY.test(ref.spec) && room !== 'cli' && ref.kind !== 'type') violations.push(`${where}: yargs and listr2 belong in src/cli/`);
        if (!ref.spec.startsWith('.')) continue;
        const target = resolve(dirname(file), ref.spec);
        if (!target.startsWith(SRC + sep)) continue;
        const targetRoom = roomOf(target);
        if (targetRoom === 'cli' && room !== 'cli') violations.push(`${where}: nothing imports cli`);
        if (room === 'index' || targetRoom === 'index') {
          if (targetRoom === 'index' && room !== 'cli') violations.push(`${where}: rooms do not import the public index`);
          continue;
        }
        const from = ORDER.indexOf(room);
        const to = ORDER.indexOf(targetRoom);
        if (from < 0) violations.push(`${relFile}: unknown room '${room}' (add it to docs/architecture.md and ORDER)`);
        else if (to > from) violations.push(`${where}: ${room} may not import ${targetRoom} (order: ${ORDER.join(' -> ')})`);
        if (inFakeTransports && targetRoom === 'protocols' && ref.kind !== 'type')
          violations.push(`${where}: simulators in transports/fake are independent oracles and must not reuse protocols/`);
        if (targetRoom === 'transports' && target.includes(`${sep}transports${sep}node${sep}`) && room !== 'transports' && room !== 'cli' && ref.kind !== 'type')
          violations.push(`${where}: only the composition root (cli) constructs transports/node; inject them elsewhere`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the circle finder reports each circle once, with every file in it, and nothing for a tree', () => {
    const graph = new Map<string, string[]>([
      ['a', ['b', 'x']],
      ['b', ['c']],
      ['c', ['a', 'y']],
      ['x', ['y']],
      ['y', []],
      ['p', ['q']],
      ['q', ['p']],
      ['s', ['s']],
    ]);
    expect(importCircles(graph)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['p', 'q', 'p'],
      ['s', 's'],
    ]);
    expect(importCircles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toEqual([]);
    // Two circles sharing a file are one component: the walk still passes through every file.
    const figureEight = importCircles(new Map([['a', ['b', 'c']], ['b', ['a']], ['c', ['a']]]));
    expect(figureEight).toHaveLength(1);
    expect(new Set(figureEight[0])).toEqual(new Set(['a', 'b', 'c']));
    expect(figureEight[0]![0]).toBe('a');
    expect(figureEight[0]!.at(-1)).toBe('a');
  });

  it('no import circle between files in src/ (static, type, dynamic and require imports all count)', async () => {
    const graph = await importGraph();
    const targets = new Map([...graph].map(([file, edges]) => [file, [...new Set(edges.map((e) => e.to))]]));
    const circles = importCircles(targets).map((walk) => {
      const steps = walk.slice(1).map((to, i) => {
        const from = walk[i]!;
        const edge = graph.get(from)!.find((e) => e.to === to)!;
        return `  ${relative(ROOT, from)}:${edge.line} imports${edge.kind === 'type' ? ' type' : edge.kind === 'dynamic' ? ' (dynamic)' : ''} '${edge.spec}'`;
      });
      const files = [...new Set(walk)].map((f) => relative(ROOT, f));
      return `import circle through ${files.length} files (${files.join(', ')}):\n${steps.join('\n')}`;
    });
    expect(circles, `\n${circles.join('\n\n')}\n`).toEqual([]);
  });

  it('product code does not import the fakes and simulators of src/transports/fake', async () => {
    const violations: string[] = [];
    for (const [file, edges] of await importGraph()) {
      if (file.startsWith(FAKES)) continue;
      for (const e of edges) {
        if (e.to.startsWith(FAKES)) violations.push(`${relative(ROOT, file)}:${e.line} imports '${e.spec}': fakes are for tests; give the feature its own home outside transports/fake`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('what the code cites is in the repository: docs/ files and their sections exist; no DESIGN.md or reference/ notes', async () => {
    const problems: string[] = [];
    const files = [...(await sourceFiles(SRC)), ...(await sourceFiles(join(ROOT, 'test'))), join(SRC, 'transports', 'node', 'native', 'tftp_pump.c')];
    for (const file of files) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      for (const [i, line] of lines.entries()) {
        const where = `${relative(ROOT, file)}:${i + 1}`;
        if (file === join(ROOT, 'test', 'architecture.test.ts')) continue; // this test names what it forbids
        if (/\bDESIGN(\.md)?\s*§|\bDESIGN\.md\b|\breference\/[\w-]+\.md\b/.test(line)) problems.push(`${where}: cites a note that is not in the repository: ${line.trim()}`);
        for (const m of line.matchAll(/\bdocs\/([\w-]+\.md)((?:\s*§\s*\d+(?:,\s*§\s*\d+)*)?)/g)) {
          const doc = await readFile(join(ROOT, 'docs', m[1]!), 'utf8').catch(() => undefined);
          if (doc === undefined) {
            problems.push(`${where}: docs/${m[1]} does not exist`);
            continue;
          }
          for (const n of m[2]!.matchAll(/§\s*(\d+)/g)) if (!new RegExp(`^## ${n[1]}\\. `, 'm').test(doc)) problems.push(`${where}: docs/${m[1]} has no section ${n[1]}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('starting the CLI (and --help) loads no zod, usb or serialport: what main.ts reaches through static imports', async () => {
    const graph = await importGraph();
    const start = join(SRC, 'cli', 'main.ts');
    const reached = new Set([start]);
    const via = new Map<string, string>();
    for (const file of reached) {
      for (const e of graph.get(file) ?? []) {
        if (e.kind !== 'static' || reached.has(e.to)) continue;
        reached.add(e.to);
        via.set(e.to, file);
      }
    }
    const violations: string[] = [];
    for (const file of reached) {
      for (const ref of findImports(await readFile(file, 'utf8'))) {
        if (ref.kind !== 'static' || !/^(zod|usb|serialport)(\/|$)/.test(ref.spec)) continue;
        const chain: string[] = [];
        for (let f: string | undefined = file; f; f = via.get(f)) chain.unshift(relative(ROOT, f));
        violations.push(`${chain.join(' -> ')} imports '${ref.spec}' at startup: import it inside the command handler`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('only src/cli writes to the terminal', async () => {
    const violations: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      if (roomOf(file) === 'cli') continue;
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((l, i) => {
        if (/^\s*(\/\/|\*)/.test(l)) return;
        if (/\bconsole\.(log|error|warn|info|debug)\(|process\.(stdout|stderr)\.write\(/.test(l)) violations.push(`${relative(ROOT, file)}:${i + 1}: ${l.trim()}`);
      });
    }
    expect(violations).toEqual([]);
  });

  it('CLI commands load workflows and native modules lazily (so --help never loads usb)', async () => {
    const violations: string[] = [];
    for (const file of await sourceFiles(join(SRC, 'cli'))) {
      for (const ref of findImports(await readFile(file, 'utf8'))) {
        if (ref.kind !== 'static') continue;
        const heavy = HARDWARE.test(ref.spec) || /(^|\/)(workflows|transports\/node|emulator|netboot|flash|hil)\//.test(ref.spec);
        if (heavy) violations.push(`${relative(ROOT, file)}:${ref.line} statically imports '${ref.spec}': use await import() in the handler`);
      }
    }
    expect(violations).toEqual([]);
  });
});
