import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardkit } from './cli-process.js';

/**
 * Issue 9, item 15: help examples can be copied and pasted. Every command's `--help` is rendered
 * at 80 columns; no example line may be wrapped, and every `out/...` path an example reads is one
 * that `payload build` really writes.
 */
const WIDTH = 80;
const COMMAND_START = /^(boardkit|sudo boardkit|ip netns exec \S+ boardkit) /;

async function help(path: readonly string[]): Promise<string> {
  const r = await boardkit([...path, '--help'], { env: { COLUMNS: String(WIDTH) } });
  expect(r.code, `${path.join(' ')} --help: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The `Commands:` entries of a help text: `boardkit boards list ...` → `list`. */
function subcommands(text: string, path: readonly string[]): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf('Commands:');
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'boardkit') continue;
    const name = words[path.length + 1];
    if (name && /^[a-z][a-z-]*$/.test(name)) out.push(name);
  }
  return out;
}

/** The example block: lines after `Examples:` up to the first unindented line. */
function exampleLines(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf('Examples:');
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line !== '' && !line.startsWith('  ')) break;
    out.push(line);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

let helps: Map<string, string>;
beforeAll(async () => {
  helps = new Map();
  // Level by level (the top, the commands, their subcommands), each level's helps in parallel.
  let level: string[][] = [[]];
  while (level.length) {
    const texts = await Promise.all(level.map((path) => help(path)));
    const next: string[][] = [];
    level.forEach((path, i) => {
      helps.set(path.join(' '), texts[i]!);
      for (const sub of subcommands(texts[i]!, path)) if (sub !== 'completion') next.push([...path, sub]);
    });
    level = next;
  }
}, 240_000);

describe('--help examples', () => {
  it('reaches every command and each has examples', () => {
    const names = [...helps.keys()];
    for (const expected of ['boards list', 'boards show', 'boards validate', 'boards schema', 'firmware list', 'firmware fetch', 'firmware verify', 'firmware import', 'doctor', 'demo', 'payload build', 'run', 'verify-boot', 'netboot serve', 'console', 'monitor', 'image build', 'image inspect', 'image extract'])
      expect(names).toContain(expected);
    for (const [name, text] of helps) expect(exampleLines(text).length, `${name || 'boardkit'} --help has no examples`).toBeGreaterThan(0);
  });

  it('no example line wraps at 80 columns: a "# what" line, then the command, continued only after a backslash', () => {
    for (const [name, text] of helps) {
      const lines = exampleLines(text);
      let continued = false;
      let afterComment = false;
      for (const line of lines) {
        const where = `${name || 'boardkit'} --help: ${JSON.stringify(line)}`;
        expect(line.length, where).toBeLessThanOrEqual(WIDTH);
        const body = line.slice(2);
        if (line === '') {
          expect(continued || afterComment, `${where} (blank inside an example)`).toBe(false);
        } else if (continued) {
          expect(body, where).not.toMatch(/^#/);
        } else if (afterComment) {
          expect(body, `${where} (a wrapped comment, or a command that does not start with boardkit)`).toMatch(COMMAND_START);
        } else {
          expect(body, `${where} (every example starts with a # comment)`).toMatch(/^# /);
        }
        afterComment = !continued && body.startsWith('# ');
        continued = body.endsWith(' \\');
      }
      expect(continued, `${name}: the last example ends in a backslash`).toBe(false);
    }
  });

  it('names no option that does nothing (--watch is gone)', () => {
    for (const [name, text] of helps) expect(text, name).not.toMatch(/--watch/);
  });

  describe('every out/... path an example reads is one `payload build` writes', () => {
    let cwd: string;
    beforeAll(async () => {
      cwd = await mkdtemp(join(tmpdir(), 'boardkit-help-paths-'));
    });
    afterAll(async () => {
      await rm(cwd, { recursive: true, force: true });
    });

    it('checked by building each board named and looking for the file', async () => {
      const commands = [...helps.values()].flatMap((text) =>
        exampleLines(text)
          .map((l) => l.slice(2))
          .join('\n')
          .replace(/ \\\n/g, ' ')
          .split('\n')
          .filter((l) => COMMAND_START.test(l)),
      );
      const reads: string[] = [];
      for (const command of commands) {
        const words = command.split(/\s+/);
        words.forEach((w, i) => {
          if (w.startsWith('out/') && !['-o', '--output'].includes(words[i - 1] ?? '')) reads.push(w);
        });
      }
      expect(reads.length).toBeGreaterThan(0);
      const built = new Set<string>();
      const imaged = new Set<string>();
      for (const path of new Set(reads)) {
        const payloadDir = /^out\/payload-([a-z0-9-]+)(\/|$)/.exec(path)?.[1];
        const image = /^out\/([a-z0-9-]+)\.img$/.exec(path)?.[1];
        const board = payloadDir ?? image;
        expect(board, `${path}: neither a \`payload build\` output directory (out/payload-<board>) nor an \`image build\` output (out/<board>.img)`).toBeDefined();
        if (!built.has(board!)) {
          // The default output directory, as a user following the examples gets it.
          const r = await boardkit(['payload', 'build', '-b', board!], { cwd, timeoutMs: 120_000 });
          expect(r.code, r.stderr).toBe(0);
          built.add(board!);
        }
        if (image && !imaged.has(image)) {
          // The image the image examples build, from the payload the payload examples build.
          const r = await boardkit(['image', 'build', '-b', image, '-p', `out/payload-${image}/payload.bin`], { cwd, timeoutMs: 120_000 });
          expect(r.code, r.stderr).toBe(0);
          imaged.add(image);
        }
        expect(existsSync(join(cwd, path)), `${path} is named in --help but the example commands do not write it`).toBe(true);
      }
    }, 240_000);
  });
});
