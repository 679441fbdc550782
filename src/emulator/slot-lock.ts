import { mkdir, open, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../core/abort.js';

/**
 * A host-wide limit on concurrent QEMU instances: one lock file per slot in a shared directory,
 * created with O_EXCL and holding "PID token". Parallel test workers (separate processes) see the
 * same files; a lock whose PID is dead is reclaimed, so a crashed worker never leaks a slot.
 */
export interface QemuSlot {
  readonly index: number;
  readonly path: string;
  /**
   * Records the QEMU PID in the lock too: if this process dies and leaves QEMU running, the slot
   * stays taken until that QEMU is gone as well (it still uses the core).
   */
  setChildPid(pid: number): Promise<void>;
  /** Deletes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export interface SlotLockOptions {
  /** Default `<os.tmpdir()>/boardkit-qemu-slots`. */
  dir?: string;
  /** Default max(1, cores). */
  slots?: number;
  signal?: AbortSignal;
  /** Poll interval while all slots are taken. Default 200 ms. */
  pollMs?: number;
  /** This process's PID (injectable for tests). */
  pid?: number;
  /** Whether a PID is alive (injectable for tests). */
  isAlive?: (pid: number) => boolean;
}

export function defaultSlotDir(): string {
  return join(tmpdir(), 'boardkit-qemu-slots');
}

export function defaultSlotCount(): number {
  return Math.max(1, availableParallelism());
}

export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; only ESRCH means gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until a slot is free (or the signal aborts) and takes it. */
export async function acquireQemuSlot(options: SlotLockOptions = {}): Promise<QemuSlot> {
  const dir = options.dir ?? defaultSlotDir();
  const slots = Math.max(1, options.slots ?? defaultSlotCount());
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? pidIsAlive;
  const token = randomBytes(6).toString('hex');
  await mkdir(dir, { recursive: true });
  for (;;) {
    throwIfAborted(options.signal);
    for (let i = 0; i < slots; i++) {
      const path = join(dir, `slot-${i}.lock`);
      if (await tryCreate(path, `${pid} ${token}\n`)) return makeSlot(i, path, `${pid} ${token}`);
      await reclaimIfStale(path, isAlive);
      if (await tryCreate(path, `${pid} ${token}\n`)) return makeSlot(i, path, `${pid} ${token}`);
    }
    await sleep(options.pollMs ?? 200, undefined, options.signal ? { signal: options.signal } : undefined).catch(() => {});
  }
}

/** Lists the PIDs holding slots right now (for diagnostics and tests). */
export async function slotHolders(dir = defaultSlotDir()): Promise<Array<{ slot: string; pid: number }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Array<{ slot: string; pid: number }> = [];
  for (const name of names.filter((n) => n.endsWith('.lock'))) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    const pid = Number.parseInt(text, 10);
    if (Number.isFinite(pid)) out.push({ slot: name, pid });
  }
  return out;
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx');
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function reclaimIfStale(path: string, isAlive: (pid: number) => boolean): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  // "PID token [childPID]"; an empty file is a lock being written right now: leave it alone.
  const [first, , child] = text.trim().split(/\s+/);
  const pids = [first, child].filter((x): x is string => x !== undefined && /^\d+$/.test(x)).map(Number);
  if (pids.length === 0 || pids.some((p) => isAlive(p))) return;
  // Re-read just before unlinking so we do not delete a lock another reclaimer just recreated.
  const again = await readFile(path, 'utf8').catch(() => undefined);
  if (again === text) await unlink(path).catch(() => {});
}

function makeSlot(index: number, path: string, content: string): QemuSlot {
  let released = false;
  const ours = async () => (await readFile(path, 'utf8').catch(() => '')).startsWith(content);
  return {
    index,
    path,
    async setChildPid(pid) {
      if (!released && (await ours())) await writeFile(path, `${content} ${pid}\n`);
    },
    async release() {
      if (released) return;
      released = true;
      if (await ours()) await unlink(path).catch(() => {});
    },
  };
}
