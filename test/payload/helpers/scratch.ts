/**
 * A scratch directory for one describe block, and the QEMU sessions started in it: made before
 * the tests, and after them every session is stopped (by its own PID) and the directory removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { QemuSession } from './qemu-session.js';

export interface QemuScratch {
  /** The directory (set once the describe block's tests start). */
  readonly dir: string;
  readonly sessions: QemuSession[];
}

export function qemuScratch(prefix: string): QemuScratch {
  const state = { dir: '', sessions: [] as QemuSession[] };
  beforeAll(async () => {
    state.dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const s of state.sessions) await s.stop();
    if (state.dir) await rm(state.dir, { recursive: true, force: true });
  });
  return state;
}
