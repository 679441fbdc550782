import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Enforces DESIGN.md §3: the import order between rooms, who may touch hardware and host
 * processes, that only the CLI prints, and that commands load heavy modules lazily.
 */
const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

const ORDER = ['core', 'protocols', 'transports', 'boards', 'artifacts', 'console', 'image', 'payload', 'emulator', 'flash', 'netboot', 'hil', 'workflows', 'cli'];
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

describe('architecture (DESIGN.md §3)', () => {
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
        if (from < 0) violations.push(`${relFile}: unknown room '${room}' (add it to DESIGN.md §3 and ORDER)`);
        else if (to > from) violations.push(`${where}: ${room} may not import ${targetRoom} (order: ${ORDER.join(' -> ')})`);
        if (inFakeTransports && targetRoom === 'protocols' && ref.kind !== 'type')
          violations.push(`${where}: simulators in transports/fake are independent oracles and must not reuse protocols/`);
        if (targetRoom === 'transports' && target.includes(`${sep}transports${sep}node${sep}`) && room !== 'transports' && room !== 'cli' && ref.kind !== 'type')
          violations.push(`${where}: only the composition root (cli) constructs transports/node; inject them elsewhere`);
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
