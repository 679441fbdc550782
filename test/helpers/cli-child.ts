import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './node-env.js';

/**
 * A `boardkit` CLI child as a user runs it, with a private TMPDIR and a marker in its environment
 * that every process it starts (QEMU, socat, servers) inherits: after it exits, `leftovers()` lists
 * the marked processes still alive and `tmpEntries()` what it left in its TMPDIR.
 */
export interface CliChild {
  readonly pid: number;
  readonly done: Promise<number>;
  out(): string;
  err(): string;
  signal(sig: NodeJS.Signals): void;
  /** PIDs of live processes carrying this child's marker (the child itself excluded once it exited). */
  leftovers(): number[];
}

export function startBoardkit(args: string[], o: { tmpDir: string; cacheDir?: string; env?: Record<string, string> }): CliChild {
  const mark = randomUUID();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'boardkit.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: o.tmpDir, BOARDKIT_TEST_MARK: mark, ...(o.cacheDir ? { BOARDKIT_CACHE_DIR: o.cacheDir } : {}), ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (err += b));
  const done = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? 128 : -1))));
  return {
    pid: child.pid!,
    done,
    out: () => out,
    err: () => err,
    signal: (sig) => child.kill(sig),
    leftovers: () => markedProcesses(mark),
  };
}

/** Live processes whose environment holds `VARIABLE=mark` (default variable BOARDKIT_TEST_MARK). */
export function markedProcesses(mark: string, variable = 'BOARDKIT_TEST_MARK'): number[] {
  const needle = `${variable}=${mark}`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (env.split('\0').includes(needle)) pids.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** Entries in a directory (a child's TMPDIR), without the QEMU slot-lock directory (shared by design). */
export function tmpEntries(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.endsWith('-slots'));
}
