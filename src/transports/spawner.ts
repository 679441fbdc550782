/**
 * Host tools (QEMU, cross compilers, dpkg-deb, dtc, ...) are run through this interface so that
 * tests can fake them and the architecture test can see who runs what. Only
 * `src/transports/node/node-spawner.ts` touches `node:child_process`.
 */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Bytes written to stdin, then stdin is closed. */
  input?: Uint8Array | string;
  signal?: AbortSignal;
  /** Kill after this many ms (SIGKILL); the result then has `timedOut: true`. */
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** 'pipe' gives streams; 'inherit' shares the terminal; 'ignore' discards. Default pipe. */
  stdio?: 'pipe' | 'inherit' | 'ignore';
}

/** A long-running child (QEMU, socat, a peer server). Lifecycle: spawned → exited (once). */
export interface ChildHandle {
  readonly pid: number;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  readonly stdin: NodeJS.WritableStream | null;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** Sends a signal to this PID only (default SIGTERM). No-op after exit. */
  kill(signal?: NodeJS.Signals): void;
}

export interface Spawner {
  /** Runs to completion. Rejects with ToolMissingError when the tool does not exist. */
  run(tool: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-running process. Rejects with ToolMissingError when the tool does not exist. */
  spawn(tool: string, args: readonly string[], options?: SpawnOptions): Promise<ChildHandle>;
  /** The absolute path of a tool on PATH, or undefined. */
  which(tool: string): Promise<string | undefined>;
}
