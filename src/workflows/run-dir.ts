import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { prepareOutputDir } from './output-paths.js';
import { UsageError } from '../core/errors.js';

/**
 * A run directory keeps what a user reads after a run: the console log, screendumps and the JSON
 * verdict. `--out DIR` chooses it; by default each run gets a fresh one under `<cache>/runs/`,
 * of which the newest `keep` are kept.
 */
export interface RunDirRequest {
  /** The user's `--out DIR` (created when missing; may hold earlier files). */
  out?: string;
  /** The default parent, e.g. `<cacheDir>/runs`. */
  base: string;
  /** A name for this run, e.g. `run-qemu-riscv64-virt-kernel`. */
  name: string;
  /** Default-location runs kept (oldest removed first). Default 50. */
  keep?: number;
  now?: Date;
}

export async function createRunDir(r: RunDirRequest): Promise<string> {
  if (r.out !== undefined) {
    const dir = resolve(r.out);
    const st = await stat(dir).catch(() => undefined);
    if (st && !st.isDirectory()) throw new UsageError(`--out '${r.out}' exists and is not a directory`, { hint: 'name a directory for this run\'s console log, screendumps and verdict' });
    await prepareOutputDir(dir, 'run directory');
    return dir;
  }
  const stamp = (r.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
  await mkdir(r.base, { recursive: true });
  await prune(r.base, (r.keep ?? 50) - 1);
  const safe = r.name.replace(/[^A-Za-z0-9._-]/g, '_');
  for (let i = 0; ; i++) {
    const dir = join(r.base, `${stamp}-${safe}${i ? `-${i}` : ''}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 100) throw err;
    }
  }
}

async function prune(base: string, keep: number): Promise<void> {
  const names = (await readdir(base).catch(() => [] as string[])).filter((n) => /^\d{4}-\d\d-\d\dT/.test(n)).sort();
  for (const n of names.slice(0, Math.max(0, names.length - keep))) await rm(join(base, n), { recursive: true, force: true });
}

/** Writes the verdict (the report as the JSON output shows it) into the run directory. */
export async function writeVerdict(dir: string, report: unknown): Promise<string> {
  const file = join(dir, 'verdict.json');
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
