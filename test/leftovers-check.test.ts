import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/node-env.js';

/** The end-of-run check (test/global-leftovers.ts) fails a run that leaves a process or a temp entry. */
async function leakyRun(leak: string): Promise<{ code: number; output: string }> {
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const config = join(ROOT, 'test', 'fixtures', 'leftovers', 'vitest.config.ts');
  try {
    const r = await promisify(execFile)(process.execPath, [vitest, 'run', '--config', config], { cwd: ROOT, env: { ...process.env, LEAK: leak, CI: '' } });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('the test run checks that nothing outlives it', () => {
  it('a clean run passes', async () => {
    const r = await leakyRun('');
    expect(r.code, r.output).toBe(0);
  }, 60_000);
  it('a leftover temp dir and a leftover process fail the run, named', async () => {
    const r = await leakyRun('dir,process');
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/boardkit-leak-\w+ was left in the test run's TMPDIR/);
    expect(r.output).toMatch(/process \d+ \(sleep 20 \) is still running/);
  }, 60_000);
});
