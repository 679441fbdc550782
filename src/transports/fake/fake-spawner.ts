import { PassThrough } from 'node:stream';
import { BoardkitError, ToolMissingError } from '../../core/errors.js';
import type { ChildHandle, RunOptions, RunResult, SpawnOptions, Spawner } from '../spawner.js';

/**
 * An in-memory Spawner for tests: the test scripts what each command answers and reads back what
 * was run. Nothing is executed.
 *
 * - `tools` decides what `which` finds (and which tools exist at all: running a tool that is not
 *   there rejects with ToolMissingError, as NodeSpawner does).
 * - `onRun(command, reply)` / `onSpawn(command, child)` script a command. `command` matches a call
 *   when it is the tool name, or a prefix of the call's words (`'dpkg --add-architecture'`), or a
 *   predicate. The first script added that matches answers; a reply may be a function of the call
 *   (stateful hosts). A call nobody scripted rejects with E_FAKE_UNSCRIPTED, naming it.
 * - `calls` records every run/spawn in order, with its options; `commandLines()` gives them as
 *   `tool arg arg` strings.
 */
export interface SpawnerCall {
  method: 'run' | 'spawn';
  tool: string;
  args: readonly string[];
  options: RunOptions | SpawnOptions;
}

/** What a scripted `run` answers; omitted fields are a clean exit with empty output. */
export interface ScriptedRun {
  exitCode?: number | null;
  signal?: string | null;
  stdout?: string | Uint8Array;
  stderr?: string | Uint8Array;
  timedOut?: boolean;
}

export type CommandMatch = string | ((call: SpawnerCall) => boolean);
export type RunReply = ScriptedRun | ((call: SpawnerCall) => ScriptedRun | Promise<ScriptedRun>);
export type SpawnReply = ChildHandle | ((call: SpawnerCall) => ChildHandle | Promise<ChildHandle>);

export interface FakeSpawnerOptions {
  /** Tools on the fake PATH: names (found at /usr/bin/NAME) or name → absolute path. */
  tools?: Iterable<string> | Readonly<Record<string, string>>;
}

export class FakeSpawner implements Spawner {
  readonly calls: SpawnerCall[] = [];
  /** Tool name → the path `which` answers. Mutable: a test can install or remove tools. */
  readonly tools = new Map<string, string>();
  private readonly runs: Array<{ match: CommandMatch; reply: RunReply }> = [];
  private readonly spawns: Array<{ match: CommandMatch; reply: SpawnReply }> = [];

  constructor(options: FakeSpawnerOptions = {}) {
    const tools = options.tools ?? [];
    if (Symbol.iterator in tools) for (const t of tools as Iterable<string>) this.tools.set(t, `/usr/bin/${t}`);
    else for (const [t, p] of Object.entries(tools)) this.tools.set(t, p);
  }

  /** Scripts what `run` answers for a command (see the class comment for matching). */
  onRun(match: CommandMatch, reply: RunReply = {}): this {
    this.runs.push({ match, reply });
    return this;
  }

  /** Scripts the child a `spawn` of a command starts. */
  onSpawn(match: CommandMatch, reply: SpawnReply): this {
    this.spawns.push({ match, reply });
    return this;
  }

  /** Every recorded call as `tool arg arg`, optionally only one method's. */
  commandLines(method?: SpawnerCall['method']): string[] {
    return this.calls.filter((c) => !method || c.method === method).map((c) => [c.tool, ...c.args].join(' '));
  }

  async run(tool: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const call = this.record('run', tool, args, options);
    const reply = this.find(this.runs, call).reply;
    const r = typeof reply === 'function' ? await reply(call) : reply;
    return {
      exitCode: r.exitCode === undefined ? (r.signal || r.timedOut ? null : 0) : r.exitCode,
      signal: r.signal ?? (r.timedOut ? 'SIGKILL' : null),
      stdout: toBuffer(r.stdout),
      stderr: toBuffer(r.stderr),
      timedOut: r.timedOut ?? false,
    };
  }

  async spawn(tool: string, args: readonly string[], options: SpawnOptions = {}): Promise<ChildHandle> {
    const call = this.record('spawn', tool, args, options);
    const reply = this.find(this.spawns, call).reply;
    return typeof reply === 'function' ? reply(call) : reply;
  }

  async which(tool: string): Promise<string | undefined> {
    return this.tools.get(tool);
  }

  private record(method: SpawnerCall['method'], tool: string, args: readonly string[], options: RunOptions | SpawnOptions): SpawnerCall {
    const call: SpawnerCall = { method, tool, args: [...args], options };
    this.calls.push(call);
    if (!this.tools.has(tool) && !tool.startsWith('/')) throw new ToolMissingError(tool, { hint: 'not on the fake PATH (FakeSpawner tools)' });
    return call;
  }

  private find<T extends { match: CommandMatch }>(scripts: readonly T[], call: SpawnerCall): T {
    const words = [call.tool, ...call.args];
    const hit = scripts.find(({ match }) => {
      if (typeof match === 'function') return match(call);
      const want = match.split(' ').filter(Boolean);
      return want.length <= words.length && want.every((w, i) => w === words[i]);
    });
    if (!hit) throw new BoardkitError('E_FAKE_UNSCRIPTED', 'internal', `fake spawner: nothing scripted for ${call.method} ${words.join(' ')}`);
    return hit;
  }
}

function toBuffer(data: string | Uint8Array | undefined): Buffer {
  return data === undefined ? Buffer.alloc(0) : typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
}

/**
 * A child process the test plays: it writes to `stdout`/`stderr`, ends it with `exit()`, and reads
 * the signals it was sent. It dies of the signals listed in `diesOf` (default SIGTERM and SIGKILL);
 * a child that ignores SIGTERM is `new FakeChild({ diesOf: ['SIGKILL'] })`.
 */
export class FakeChild implements ChildHandle {
  /** Beyond pid_max: can never be a real process, so a stray kill by PID cannot hit anything. */
  readonly pid: number;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin = new PassThrough();
  readonly signals: string[] = [];
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  private resolveExit!: (v: { exitCode: number | null; signal: string | null }) => void;
  private done = false;
  private readonly diesOf: readonly string[];

  constructor(options: { diesOf?: readonly NodeJS.Signals[]; pid?: number } = {}) {
    this.diesOf = options.diesOf ?? ['SIGTERM', 'SIGKILL'];
    this.pid = options.pid ?? 4_000_000;
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.done) return;
    this.signals.push(signal);
    if (this.diesOf.includes(signal)) this.finish({ exitCode: null, signal });
  }

  /** The process exits by itself with this code. */
  exit(code: number): void {
    this.finish({ exitCode: code, signal: null });
  }

  private finish(result: { exitCode: number | null; signal: string | null }): void {
    if (this.done) return;
    this.done = true;
    this.stdout.end();
    this.stderr.end();
    this.resolveExit(result);
  }
}
