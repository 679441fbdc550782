import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError, throwIfAborted } from '../core/abort.js';
import { BoardkitError, UsageError } from '../core/errors.js';
import { noProgress, type ProgressSink } from '../core/progress.js';
import type { QmpConnector } from '../transports/qmp-link.js';
import type { ChildHandle, Spawner } from '../transports/spawner.js';
import { guestMatchesHost, probeKvm, timeoutMultiplier, type Accel } from './accel-probe.js';
import { prepareDriveFiles } from './drive-files.js';
import { decodePpm, type PpmImage } from '../core/ppm.js';
import { buildQemuArgs, type ConsoleChardev } from './qemu-args.js';
import { QmpClient, type QmpEvent } from './qmp-client.js';
import { consoleEndpointsFrom, describeEndpoint } from './console-endpoints.js';
import type { ConsoleEndpoint, QemuMachineSpec } from './qemu-spec.js';
import { acquireQemuSlot, type QemuSlot, type SlotLockOptions } from './slot-lock.js';
import { EventHub } from './event-hub.js';

export interface StartQemuOptions {
  spawner: Spawner;
  /** Opens the QMP unix socket (`transports/node/qmp-socket.ts` in production). */
  connectQmp: QmpConnector;
  /** How consoles are exposed. Default `unix` (a socket path in the run's temp dir). */
  console?: 'unix' | 'pty' | { kind: 'tcp'; host?: string; port?: number };
  /** Default `auto`: KVM when the guest is the host's architecture and the probe says it works. */
  accel?: Accel | 'auto';
  /** Where the KVM probe answer is cached (see `probeKvm`). */
  cacheDir?: string;
  /** Slot lock options, or `false` to run without taking a slot. */
  slot?: SlotLockOptions | false;
  /** Aborting shuts the machine down (quit → SIGTERM → SIGKILL) and removes its files. */
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Parent of the per-run temp dir. Default os.tmpdir(). */
  tmpDir?: string;
  /** For BOARDKIT_TIMEOUT_MULTIPLIER. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How long shutdown waits after QMP quit / SIGTERM / SIGKILL. Default 3000 / 2000 / 5000 ms. */
  stopWaitsMs?: StopWaits;
}

export interface StopWaits {
  quit?: number;
  term?: number;
  kill?: number;
}

export interface ShutdownResult {
  /** How the process ended: it had already exited, QMP quit worked, or it had to be signalled. */
  how: 'exited' | 'quit' | 'sigterm' | 'sigkill';
  exitCode: number | null;
  signal: string | null;
}

/**
 * A started QEMU. Lifecycle: paused (CPUs stopped, consoles listening) → `resume()` → running →
 * `shutdown()` (or the guest powers off, or the caller's signal aborts). Whichever way it ends,
 * the process is gone and the run's temp dir (QMP socket, console sockets, overlays, VARS copies)
 * is removed; `shutdown()` is idempotent and safe to call after the process exited by itself.
 */
export interface RunningQemu {
  readonly pid: number;
  readonly accel: Accel;
  /** Multiply hardware timeouts by this (1 with KVM, 4 under TCG, or BOARDKIT_TIMEOUT_MULTIPLIER). */
  readonly timeoutMultiplier: number;
  /** One per `'console'` serial slot, in serial-index order. */
  readonly consoles: readonly ConsoleEndpoint[];
  /** The first console as a string: a unix socket path, a pty path, or `host:port`. */
  readonly consolePath: string;
  readonly args: readonly string[];
  readonly workDir: string;
  readonly qmp: QmpClient;
  /** Every QMP event so far, oldest first. */
  readonly events: readonly QmpEvent[];
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** Starts the CPUs (QMP `cont`). With a gdb stub, does nothing: the debugger continues it. */
  resume(): Promise<void>;
  /** QMP `screendump` to a PPM in the temp dir, decoded. Needs a display device (VGA, ramfb, ...). */
  screendump(options?: { device?: string; head?: number }): Promise<PpmImage>;
  /** ACPI/GPIO power button (QMP `system_powerdown`). */
  powerdown(): Promise<void>;
  /** Hard reset (QMP `system_reset`). */
  reset(): Promise<void>;
  onEvent(listener: (event: QmpEvent) => void): () => void;
  /** Events from now on, until the machine exits or the signal aborts. */
  eventStream(signal?: AbortSignal): AsyncIterable<QmpEvent>;
  /** The first event named `name` at or after index `since` of `events` (default: from now). */
  waitForEvent(name: string, options?: { since?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<QmpEvent>;
  /** The last lines QEMU wrote to stderr. */
  stderrTail(): string;
  shutdown(): Promise<ShutdownResult>;
}

const DEFAULT_WAITS: Required<StopWaits> = { quit: 3000, term: 2000, kill: 5000 };
const STDERR_KEEP = 16 * 1024;

export async function startQemu(spec: QemuMachineSpec, options: StartQemuOptions): Promise<RunningQemu> {
  const progress = options.progress ?? noProgress;
  throwIfAborted(options.signal);
  const accel: Accel =
    options.accel === 'kvm' || options.accel === 'tcg'
      ? options.accel
      : guestMatchesHost(spec.binary)
        ? (await probeKvm({ spawner: options.spawner, ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) })).accel
        : 'tcg';
  const slot: QemuSlot | undefined =
    options.slot === false ? undefined : await acquireQemuSlot({ ...(options.slot ?? {}), ...(options.signal ? { signal: options.signal } : {}) });
  let workDir: string | undefined;
  let child: ChildHandle | undefined;
  let stderr = '';
  const cleanupFiles = async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
    await slot?.release();
  };
  try {
    workDir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'boardkit-qemu-'));
    const driveFiles = await prepareDriveFiles(spec.drives ?? [], workDir, options.spawner);
    const consoleCount = (spec.serial ?? ['console']).filter((s) => s === 'console').length;
    const chardevs: ConsoleChardev[] = [];
    for (let i = 0; i < consoleCount; i++) chardevs.push(chardevFor(options.console, workDir, i));
    const qmpSocket = join(workDir, 'qmp.sock');
    // sockaddr_un.sun_path is 108 bytes on Linux (unix(7)); QEMU fails obscurely past it.
    if (Buffer.byteLength(join(workDir, 'console00.sock')) > 107) {
      throw new UsageError(`temp dir path is too long for unix sockets: ${workDir}`, { hint: 'pass a shorter tmpDir (or set TMPDIR)' });
    }
    const args = buildQemuArgs(spec, { accel, paused: true, qmpSocket, consoles: chardevs, driveFiles });
    throwIfAborted(options.signal);
    child = await options.spawner.spawn(spec.binary, args, { stdio: 'pipe' });
    const proc = child;
    await slot?.setChildPid(proc.pid);
    proc.stdout?.on('data', () => {});
    proc.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-STDERR_KEEP);
    });
    progress({ source: 'qemu', type: 'start', message: `${spec.binary} -machine ${spec.machine} (${accel})`, data: { pid: proc.pid, args } });
    const earlyExit = proc.exited.then((e) => {
      throw new BoardkitError('E_QEMU_EXITED', 'infrastructure', `QEMU exited during start (${e.exitCode ?? e.signal}): ${lastLines(stderr)}`, {
        details: { args, stderr },
        hint: 'check the machine options and file paths in the emulation recipe',
      });
    });
    earlyExit.catch(() => {}); // observed through the races below; never an unhandled rejection
    const transport = await Promise.race([options.connectQmp(qmpSocket, { retryForMs: 10_000, ...(options.signal ? { signal: options.signal } : {}) }), earlyExit]);
    const qmp = await Promise.race([QmpClient.open(transport), earlyExit]);
    const chardevInfo = await qmp.execute<Array<{ label: string; filename: string }>>('query-chardev');
    const consoles = consoleEndpointsFrom(chardevInfo, consoleCount);
    const vm = makeRunning({ spec, options, accel, proc, qmp, consoles, args, workDir, cleanupFiles, stderr: () => stderr, progress });
    // An abort that landed while we were connecting fired no listener: honour it now.
    if (options.signal?.aborted) {
      await vm.shutdown();
      throw new AbortedError(options.signal.reason);
    }
    return vm;
  } catch (err) {
    if (child) await stopProcess(child, undefined, options.stopWaitsMs);
    await cleanupFiles();
    if (options.signal?.aborted) throw new AbortedError(options.signal.reason);
    throw err;
  }
}

function chardevFor(choice: StartQemuOptions['console'], workDir: string, i: number): ConsoleChardev {
  if (choice === 'pty') return { kind: 'pty' };
  if (typeof choice === 'object') return { kind: 'tcp', host: choice.host ?? '127.0.0.1', port: choice.port === undefined ? 0 : choice.port + i };
  return { kind: 'unix', path: join(workDir, `console${i}.sock`) };
}

interface RunningParts {
  spec: QemuMachineSpec;
  options: StartQemuOptions;
  accel: Accel;
  proc: ChildHandle;
  qmp: QmpClient;
  consoles: ConsoleEndpoint[];
  args: string[];
  workDir: string;
  cleanupFiles: () => Promise<void>;
  stderr: () => string;
  progress: ProgressSink;
}

function makeRunning(p: RunningParts): RunningQemu {
  const { proc, qmp, options } = p;
  const hub = new EventHub<QmpEvent>();
  qmp.onEvent((e) => hub.push(e));
  let shutdownPromise: Promise<ShutdownResult> | undefined;
  let screenN = 0;
  // Whatever ends the process, files and the slot go with it.
  const cleaned = proc.exited.then(async () => {
    hub.end();
    await qmp.close().catch(() => {});
    await p.cleanupFiles();
  });
  const onAbort = () => void vm.shutdown();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const vm: RunningQemu = {
    pid: proc.pid,
    accel: p.accel,
    timeoutMultiplier: timeoutMultiplier(p.accel, options.env),
    consoles: p.consoles,
    consolePath: p.consoles[0] ? describeEndpoint(p.consoles[0]) : '',
    args: p.args,
    workDir: p.workDir,
    qmp,
    get events() {
      return hub.history;
    },
    exited: proc.exited,
    async resume() {
      if (p.spec.gdbPort !== undefined) return;
      await qmp.execute('cont');
      p.progress({ source: 'qemu', type: 'resume', data: { pid: proc.pid } });
    },
    async screendump(opts = {}) {
      const filename = join(p.workDir, `screen${screenN++}.ppm`);
      await qmp.execute('screendump', { filename, ...(opts.device ? { device: opts.device } : {}), ...(opts.head !== undefined ? { head: opts.head } : {}) });
      try {
        return decodePpm(new Uint8Array(await readFile(filename)));
      } finally {
        await rm(filename, { force: true });
      }
    },
    async powerdown() {
      await qmp.execute('system_powerdown');
    },
    async reset() {
      await qmp.execute('system_reset');
    },
    onEvent: (l) => hub.subscribe(l),
    eventStream: (signal) => hub.stream(signal),
    waitForEvent: (name, o = {}) => hub.waitFor((e) => e.event === name, { ...o, since: o.since ?? hub.history.length, what: `QMP event ${name}` }),
    stderrTail: () => lastLines(p.stderr()),
    shutdown() {
      shutdownPromise ??= (async () => {
        options.signal?.removeEventListener('abort', onAbort);
        const result = await stopProcess(proc, qmp, options.stopWaitsMs);
        await cleaned;
        p.progress({ source: 'qemu', type: 'stopped', data: { pid: proc.pid, ...result } });
        return result;
      })();
      return shutdownPromise;
    },
  };
  return vm;
}

/** QMP quit, then SIGTERM, then SIGKILL, each to this PID only, each with a bounded wait. */
async function stopProcess(proc: ChildHandle, qmp: QmpClient | undefined, waits: StopWaits = {}): Promise<ShutdownResult> {
  const w = { ...DEFAULT_WAITS, ...waits };
  const within = (ms: number) =>
    Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
  let done = await within(0);
  if (done) return { how: 'exited', ...done };
  if (qmp && !qmp.closed) {
    qmp.execute('quit').catch(() => {});
    done = await within(w.quit);
    if (done) return { how: 'quit', ...done };
  }
  proc.kill('SIGTERM');
  done = await within(w.term);
  if (done) return { how: 'sigterm', ...done };
  proc.kill('SIGKILL');
  done = await within(w.kill);
  if (done) return { how: 'sigkill', ...done };
  throw new BoardkitError('E_QEMU_STUCK', 'infrastructure', `QEMU pid ${proc.pid} survived SIGKILL`, { details: { pid: proc.pid } });
}

function lastLines(text: string, n = 8): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
