/**
 * Test-only QEMU plumbing until src/emulator takes over: start QEMU through the NodeSpawner,
 * collect its console (stdout), wait for patterns, and stop it by PID.
 */
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

  static async start(spawner: Spawner, tool: string, args: readonly string[]): Promise<QemuSession> {
    return new QemuSession(await spawner.spawn(tool, args));
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
    this.child.kill('SIGKILL');
    await this.child.exited;
  }
}
