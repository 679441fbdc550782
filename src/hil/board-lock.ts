/**
 * Per-board locks so two runs on one host never share a board: one lock file per lab board name,
 * created with O_EXCL and holding this process's PID. A lock whose PID is dead is reclaimed, so a
 * crashed run never keeps a board.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfAborted } from '../core/abort.js';

export interface BoardLock {
  readonly board: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock of lab board `board` in `dir`, waiting while another live process holds it.
 * `onWait` is called once, with the holder's PID, when the lock is busy.
 */
export async function lockBoard(dir: string, board: string, options: { signal?: AbortSignal; onWait?: (pid: number) => void; pollMs?: number } = {}): Promise<BoardLock> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${board}.lock`);
  let told = false;
  for (;;) {
    throwIfAborted(options.signal);
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      let released = false;
      return {
        board,
        async release() {
          if (released) return;
          released = true;
          const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
          if (holder === process.pid) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (!told) options.onWait?.(holder);
    told = true;
    await sleep(options.pollMs ?? 250, undefined, options.signal ? { signal: options.signal } : {});
  }
}
