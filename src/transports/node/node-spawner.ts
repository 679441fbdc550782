import { spawn as cpSpawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { ToolMissingError } from '../../core/errors.js';
import type { ChildHandle, RunOptions, RunResult, SpawnOptions, Spawner } from '../spawner.js';

/** Debian packages that provide tools, so a missing tool error says what to install. */
const PACKAGE_OF: Record<string, string> = {
  'qemu-system-riscv64': 'qemu-system-misc',
  'qemu-system-aarch64': 'qemu-system-arm',
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  dtc: 'device-tree-compiler',
  socat: 'socat',
  mkimage: 'u-boot-tools',
  'dpkg-deb': 'dpkg',
  'apt-get': 'apt',
  'riscv64-unknown-elf-gcc': 'gcc-riscv64-unknown-elf',
  'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
  clang: 'clang',
  'lld-link': 'lld',
  sfdisk: 'fdisk',
  'fsck.fat': 'dosfstools',
  mdir: 'mtools',
  bmaptool: 'bmap-tools',
};

function mergedEnv(env?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return env ? { ...process.env, ...env } : process.env;
}

export class NodeSpawner implements Spawner {
  async which(tool: string): Promise<string | undefined> {
    if (isAbsolute(tool)) return (await isExecutable(tool)) ? tool : undefined;
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!dir) continue;
      const p = join(dir, tool);
      if (await isExecutable(p)) return p;
    }
    // sbin is not always on a non-root PATH, yet sfdisk & co. work on plain files as any user.
    for (const dir of ['/usr/sbin', '/sbin']) {
      const p = join(dir, tool);
      if (await isExecutable(p)) return p;
    }
    return undefined;
  }

  private async resolve(tool: string): Promise<string> {
    const path = await this.which(tool);
    if (!path) throw new ToolMissingError(tool, PACKAGE_OF[tool] ? { debianPackage: PACKAGE_OF[tool] } : {});
    return path;
  }

  async run(tool: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const path = await this.resolve(tool);
    return new Promise<RunResult>((resolve, reject) => {
      const child = cpSpawn(path, args, {
        cwd: options.cwd,
        env: mergedEnv(options.env),
        stdio: ['pipe', 'pipe', 'pipe'],
        signal: options.signal,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, options.timeoutMs)
          : undefined;
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        if (e.name === 'AbortError') {
          resolve({ exitCode: null, signal: 'SIGTERM', stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut });
        } else reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ exitCode: code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut });
      });
      child.stdin.on('error', () => {});
      if (options.input !== undefined) child.stdin.end(options.input);
      else child.stdin.end();
    });
  }

  async spawn(tool: string, args: readonly string[], options: SpawnOptions = {}): Promise<ChildHandle> {
    const path = await this.resolve(tool);
    const stdio = options.stdio ?? 'pipe';
    // A long-running child gets its own process group (unless it shares the terminal): a Ctrl-C
    // at the terminal reaches boardkit only, which then stops the child by its PID in order
    // (QEMU's temp files and sockets are removed by us, not left half-done by a signal storm).
    const child = cpSpawn(path, args, { cwd: options.cwd, env: mergedEnv(options.env), stdio, detached: stdio !== 'inherit' });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    let done = false;
    const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
      child.once('exit', (exitCode, signal) => {
        done = true;
        resolve({ exitCode, signal });
      });
    });
    return {
      pid: child.pid!,
      stdout: child.stdout,
      stderr: child.stderr,
      stdin: child.stdin,
      exited,
      kill(signal: NodeJS.Signals = 'SIGTERM') {
        if (!done) {
          try {
            process.kill(child.pid!, signal);
          } catch {
            /* already gone */
          }
        }
      },
    };
  }
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
