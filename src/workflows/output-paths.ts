import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
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
