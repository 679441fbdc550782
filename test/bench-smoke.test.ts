import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markedProcesses } from './helpers/cli-child.js';

/**
 * Every benchmark in test/bench/ runs once at a tiny size (BENCH_SMOKE=1: 1 MB of console text,
 * one board, one repetition, a 1 MiB TFTP file), so a benchmark that no longer runs (a module that
 * moved, an API that changed) fails `npm test` instead of the next `npm run bench`. Timings here
 * mean nothing: the machine is shared with the rest of the suite. Each script must exit 0 and
 * print the line that carries its result. The benchmarks import from dist/ (`npm test` builds).
 */
const BENCH = join(import.meta.dirname, 'bench');
const isRoot = process.getuid?.() === 0;

/** Whether UDP 127.0.0.1:69 can be bound now (dnsmasq, the TFTP peer, serves only there). */
async function tftpPortFree(): Promise<boolean> {
  const sock = createSocket('udp4');
  const free = await new Promise<boolean>((resolve) => {
    sock.once('error', () => resolve(false));
    sock.bind(69, '127.0.0.1', () => resolve(true));
  });
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return free;
}

/** The line each benchmark prints when it measured something. */
const RESULT: Record<string, RegExp> = {
  'console-engine.mjs': /^console-engine: 1 MB, 30 patterns, median [\d.]+ MB\/s/m,
  'payload-boot.mjs': /^qemu-riscv64-virt +\d+ +\d+ +(\d+|n\/a)/m,
  'payload-build.mjs': /^qemu-riscv64-virt +\d+ +\d+ +[\d.]+/m,
  'run-overhead.mjs': /^added by boardkit to reach 'U-Boot 20': -?\d+ ms/m,
  'tftp.mjs': /^SUMMARY \(>= 1\.00 meets the target\): lock-step 512 vs best peer [\d.]+/m,
};
/** Why a benchmark cannot run here, or undefined. */
const SKIP: Record<string, string | undefined> = {
  'tftp.mjs': !isRoot
    ? 'needs root: dnsmasq, the peer it is measured beside, serves TFTP only on port 69'
    : !(await tftpPortFree())
      ? 'UDP port 69 on 127.0.0.1 is taken (another TFTP server or benchmark is running)'
      : undefined,
};

function runBench(script: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // A marker every process it starts inherits: a hung benchmark and every peer it started (each
    // server may sit in a process group of its own) are found and stopped by PID.
    const mark = randomUUID();
    const child = spawn(process.execPath, ['--expose-gc', join(BENCH, script)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_SMOKE: '1', BOARDKIT_BENCH_MARK: mark, BENCH_PORT: String(20_000 + Math.floor(Math.random() * 20_000)) },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => {
      out += `\n[smoke] ${script} did not finish within ${timeoutMs} ms: stopped`;
      for (const pid of markedProcesses(mark, 'BOARDKIT_BENCH_MARK')) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const scripts = readdirSync(BENCH).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').sort();

describe('benchmarks run (tiny size)', () => {
  it('every benchmark script has a smoke check', () => {
    expect(scripts.filter((s) => !RESULT[s])).toEqual([]);
  });

  for (const script of scripts) {
    it.skipIf(SKIP[script] !== undefined)(`${script}${SKIP[script] ? ` (skipped: ${SKIP[script]})` : ''}`, async () => {
      const { code, out } = await runBench(script, 170_000);
      expect(code, out).toBe(0);
      expect(out).toMatch(RESULT[script] ?? /$^/);
    }, 200_000);
  }
});
