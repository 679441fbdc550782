import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';

/**
 * Output paths are checked before anything starts (no QEMU, no server, no temp dir): a log file
 * that cannot be written is a usage error naming it, not a crash halfway through a run.
 */
export async function checkOutputFile(path: string, what: string): Promise<void> {
  const abs = resolve(path);
  const st = await stat(abs).catch(() => undefined);
  if (st?.isDirectory()) throw new UsageError(`${what} '${path}' is a directory`, { hint: 'name a file to write' });
  const dir = dirname(abs);
  const dst = await stat(dir).catch(() => undefined);
  if (!dst) throw new UsageError(`${what} '${path}': directory '${dirname(path)}' does not exist`, { hint: `create it first (mkdir -p ${dirname(path)}) or choose another path` });
  if (!dst.isDirectory()) throw new UsageError(`${what} '${path}': '${dirname(path)}' is not a directory`);
  const target = st ? abs : dir;
  await access(target, constants.W_OK).catch(() => {
    throw new UsageError(`${what} '${path}' is not writable`, { hint: 'choose a path you can write to' });
  });
}

/** Input files must exist before anything starts: a usage error naming the missing one. */
export async function checkInputFile(path: string, what: string, hint?: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new UsageError(`${what} '${path}' does not exist`, hint ? { hint } : {});
  await access(path, constants.R_OK).catch(() => {
    throw new UsageError(`${what} '${path}' is not readable`);
  });
}

/**
 * An output directory, created if missing: its nearest existing ancestor must be a writable
 * directory, and each missing level is made with a plain (non-recursive) mkdir, so a tree that
 * refuses new entries is a usage error naming the level. (A recursive mkdir under /proc gets ENOENT
 * for every level and never returns.)
 */
export async function prepareOutputDir(path: string, what: string): Promise<void> {
  const missing: string[] = [];
  let dir = resolve(path);
  for (;;) {
    const st = await stat(dir).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`${what} '${path}': '${dir}' is not a directory`, { hint: 'choose a directory to write into' });
      await access(dir, constants.W_OK).catch(() => {
        throw new UsageError(`${what} '${path}': '${dir}' is not writable`, { hint: 'choose a directory you can write to' });
      });
      break;
    }
    missing.unshift(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const level of missing) {
    await mkdir(level).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return;
      throw new UsageError(`${what} '${path}': cannot create '${level}' (${err.code ?? err.message})`, { hint: 'choose a directory you can write to', cause: err });
    });
  }
}
