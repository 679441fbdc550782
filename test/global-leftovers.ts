import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markedProcesses } from './helpers/cli-child.js';

/**
 * The whole test run's own check that nothing outlives it. Every test worker (and so every QEMU,
 * server and CLI child a test starts) inherits a private TMPDIR and a marker in its environment;
 * once all tests are done, no marked process may be alive and the private TMPDIR must be empty
 * (the QEMU slot-lock directory excepted: it is shared by design). On CI (a machine of its own)
 * no new /tmp/boardkit-* entry may remain either.
 */
const mark = randomUUID();
const base = tmpdir();
let privateTmp = '';
let before = new Set<string>();

const boardkitEntries = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('boardkit-') && !n.endsWith('-slots'));

export function setup(): void {
  before = new Set(boardkitEntries(base));
  privateTmp = mkdtempSync(join(base, 'boardkit-test-run-'));
  // Traversable like /tmp itself: peers that drop privileges (tftpd-hpa runs as nobody) serve from below it.
  chmodSync(privateTmp, 0o755);
  process.env.TMPDIR = privateTmp;
  process.env.BOARDKIT_TEST_MARK = mark;
}

export async function teardown(): Promise<void> {
  // Processes stopped by PID may take a moment to be reaped.
  let alive = markedProcesses(mark);
  for (let i = 0; i < 50 && alive.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    alive = markedProcesses(mark);
  }
  const left = readdirSync(privateTmp).filter((n) => !n.endsWith('-slots'));
  const leftInTmp = process.env.CI ? boardkitEntries(base).filter((n) => !before.has(n) && join(base, n) !== privateTmp) : [];
  rmSync(privateTmp, { recursive: true, force: true });
  const problems = [
    ...alive.map((pid) => `process ${pid} (${describe(pid)}) is still running`),
    ...left.map((n) => `${n} was left in the test run's TMPDIR`),
    ...leftInTmp.map((n) => `${join(base, n)} was left behind`),
  ];
  if (problems.length) {
    for (const pid of alive) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    // A throw here is only logged by vitest: the exit code must say it too.
    process.on('exit', () => {
      process.exitCode = 1;
    });
    throw new Error(`the test run left things behind:\n  ${problems.join('\n  ')}`);
  }
}

function describe(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').slice(0, 120);
  } catch {
    return '?';
  }
}
