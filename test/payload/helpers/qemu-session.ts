/**
 * Test-only QEMU plumbing until src/emulator takes over: start QEMU through the NodeSpawner,
 * collect its console (stdout), wait for patterns, and stop it by PID.
 */
import { open } from 'node:fs/promises';

import type { ChildHandle, Spawner } from '../../../src/transports/spawner.js';

export class QemuSession {
  output = '';
  private waiters: Array<() => void> = [];
  exitedCode: number | null | undefined;

  private constructor(readonly child: ChildHandle) {
    const push = (b: Buffer): void => {
      this.output += b.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    };
    child.stdout?.on('data', push);
    child.stderr?.on('data', push);
    void child.exited.then((e) => {
      this.exitedCode = e.exitCode;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  private poller: NodeJS.Timeout | undefined;

  /**
   * `serialFile`: the console goes to `-serial file:PATH` and is polled from there. Needed for
   * UARTs whose QEMU model drops bytes when the chardev would block (QEMU 7.2 sifive_uart writes
   * with qemu_chr_fe_write, not _write_all, and node's stdio socketpair fills up with 1-byte
   * writes), harmless for the others.
   */
  static async start(spawner: Spawner, tool: string, args: readonly string[], opts: { serialFile?: string } = {}): Promise<QemuSession> {
    const s = new QemuSession(await spawner.spawn(tool, args));
    if (opts.serialFile) s.pollFile(opts.serialFile);
    return s;
  }

  private pollFile(path: string): void {
    let offset = 0;
    let busy = false;
    this.poller = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        try {
          const fh = await open(path, 'r');
          try {
            const buf = Buffer.alloc(65536);
            for (;;) {
              const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
              if (!bytesRead) break;
              offset += bytesRead;
              this.output += buf.subarray(0, bytesRead).toString('latin1');
              for (const w of this.waiters.splice(0)) w();
            }
          } finally {
            await fh.close();
          }
        } catch {
          /* not created yet */
        } finally {
          busy = false;
        }
      })();
    }, 50);
  }

  /** Resolves with the output once `re` matches it; rejects on timeout or early exit. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (re.test(this.output)) return this.output;
      if (this.exitedCode !== undefined) throw new Error(`QEMU exited (${this.exitedCode}) before ${re}; output:\n${this.output}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; output:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitExit(timeoutMs: number): Promise<boolean> {
    const t = new Promise<false>((r) => setTimeout(() => r(false), timeoutMs));
    return Promise.race([this.child.exited.then(() => true as const), t]);
  }

  async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.child.kill('SIGKILL');
    await this.child.exited;
  }
}
