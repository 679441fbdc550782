import { existsSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildHandle } from '../../../src/transports/spawner.js';
import { NodeSpawner } from '../../../src/transports/node/node-spawner.js';

/**
 * A socat pty pair: the host side (`a`, opened by the code under test) and the device side (`b`,
 * written by the test playing the board). Started through the Spawner, stopped by PID.
 */
export interface PtyPair {
  a: string;
  b: string;
  child: ChildHandle;
  /** Writes to the device side (opens it once). */
  write(text: string): void;
  stop(): Promise<void>;
}

export const spawner = new NodeSpawner();

export async function hasSocat(): Promise<boolean> {
  return (await spawner.which('socat')) !== undefined;
}

export async function startPtyPair(dir: string, names: { a?: string; b?: string } = {}): Promise<PtyPair> {
  const a = join(dir, names.a ?? 'ttyA');
  const b = join(dir, names.b ?? 'ttyB');
  const child = await spawner.spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('socat did not create its ptys');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  let fd: number | undefined;
  return {
    a,
    b,
    child,
    write(text: string) {
      fd ??= openSync(b, 'r+');
      writeSync(fd, text);
    },
    async stop() {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
      }
      child.kill('SIGTERM');
      await child.exited;
    },
  };
}

/** A loopback pty: whatever is written to `a` comes back (socat's PIPE address). */
export async function startLoopbackPty(dir: string, name = 'ttyLoop'): Promise<{ a: string; child: ChildHandle; stop(): Promise<void> }> {
  const a = join(dir, name);
  const child = await spawner.spawn('socat', [`pty,raw,echo=0,link=${a}`, 'PIPE'], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!existsSync(a)) {
    if (Date.now() > deadline) throw new Error('socat did not create its pty');
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    a,
    child,
    async stop() {
      child.kill('SIGTERM');
      await child.exited;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
