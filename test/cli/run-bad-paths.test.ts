import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBoardkit, tmpEntries } from '../helpers/cli-child.js';

/**
 * Bad paths of `run`, `verify-boot` and `demo` as a user meets them: one clear error, the
 * documented exit code, and nothing left behind (no process carrying the child's marker, nothing
 * in its private TMPDIR).
 */
let tmp: string;
let work: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'boardkit-badpath-tmp-'));
  work = await mkdtemp(join(tmpdir(), 'boardkit-badpath-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('bad paths end in one clear error with the documented exit code', () => {
  it('run --log in a missing directory: exit 2 naming the path, before QEMU starts', async () => {
    const c = startBoardkit(['run', '-b', 'qemu-riscv64-virt', '--firmware-only', '--log', '/nonexistent/dir/x.log', '--out', join(work, 'r')], { tmpDir: tmp });
    expect(await c.done, c.err()).toBe(2);
    expect(c.err()).toContain("'/nonexistent/dir/x.log'");
    expect(c.err()).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(c.leftovers()).toEqual([]);
    expect(tmpEntries(tmp)).toEqual([]);
  });

  it('verify-boot --log in a missing directory: exit 2 naming the path', async () => {
    const c = startBoardkit(['verify-boot', '-b', 'qemu-riscv64-virt', '-p', '/dev/null', '--log', '/nonexistent/dir/x.log', '--out', join(work, 'r')], { tmpDir: tmp });
    expect(await c.done, c.err()).toBe(2);
    expect(c.err()).toContain("'/nonexistent/dir/x.log'");
  });

  it('a missing --kernel is the same usage error (2) naming the file on every try, with and without --netboot', async () => {
    for (const extra of [[], [], [], ['--netboot']]) {
      const c = startBoardkit(['run', '-b', 'qemu-riscv64-virt', '-k', join(work, 'nope.elf'), ...extra], { tmpDir: tmp });
      expect(await c.done, c.err()).toBe(2);
      expect(c.err()).toContain(`--kernel '${join(work, 'nope.elf')}' does not exist`);
      expect(c.leftovers()).toEqual([]);
    }
    expect(tmpEntries(tmp)).toEqual([]);
  });

  it('a missing --image is a usage error (2) that does not blame the QEMU installation', async () => {
    const c = startBoardkit(['run', '-b', 'qemu-aarch64-virt', '--image', join(work, 'nope.img')], { tmpDir: tmp });
    expect(await c.done, c.err()).toBe(2);
    expect(c.err()).toContain(`--image '${join(work, 'nope.img')}' does not exist`);
    expect(c.err()).not.toMatch(/doctor|QEMU installation/);
  });

  it('run with nothing to boot is a usage error (2), not 70', async () => {
    const c = startBoardkit(['run', '-b', 'qemu-riscv64-virt'], { tmpDir: tmp });
    expect(await c.done, c.err()).toBe(2);
    expect(c.err()).toMatch(/say what to boot/);
  });

  it('an output directory that cannot be created (/proc/nope) is a usage error (2), not a hang', async () => {
    // A recursive mkdir under /proc gets ENOENT for every level and never returns.
    const kernel = join(work, 'k.elf');
    await writeFile(kernel, 'not an elf');
    for (const args of [
      ['payload', 'build', '-b', 'qemu-riscv64-virt', '-o', '/proc/nope'],
      ['run', '-b', 'qemu-riscv64-virt', '--firmware-only', '--out', '/proc/nope/run'],
      ['image', 'build', '-b', 'qemu-riscv64-virt', '-p', kernel, '-o', '/proc/nope/x.img'],
    ]) {
      const c = startBoardkit(args, { tmpDir: tmp });
      expect(await c.done, `${args.join(' ')}: ${c.err()}`).toBe(2);
      expect(c.err()).toContain("cannot create '/proc/nope'");
      expect(c.leftovers()).toEqual([]);
    }
    expect(tmpEntries(tmp)).toEqual([]);
  }, 60_000);

  it('demo on a board no QEMU machine models says so (2), and creates nothing', async () => {
    const out = join(work, 'demo-out');
    const c = startBoardkit(['demo', '-b', 'rpi4b', '--out', out], { tmpDir: tmp });
    expect(await c.done, c.err()).toBe(2);
    expect(c.err()).toMatch(/'rpi4b' cannot be emulated/);
    expect(c.out()).not.toMatch(/PASS/);
  });
});

describe('SIGINT and SIGTERM: exit 130, a one-line summary, every child and temp file gone', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} during run`, async () => {
      // A kernel that never prints the payload marker: the run waits at that stage until the signal.
      const kernel = join(work, 'silent.bin');
      await writeFile(kernel, new Uint8Array(4096));
      const c = startBoardkit(['run', '-b', 'qemu-riscv64-virt', '-k', kernel, '--out', join(work, 'run')], { tmpDir: tmp });
      await waitFor(() => /console attached/.test(c.err()), 60_000, 'QEMU to run');
      expect(c.leftovers().length).toBeGreaterThan(1); // boardkit and its QEMU
      c.signal(sig);
      expect(await c.done, c.err()).toBe(130);
      expect(c.err()).toMatch(new RegExp(`interrupted by ${sig} after \\d+\\.\\d s in 'run'; everything it started has been stopped`));
      expect(c.leftovers()).toEqual([]);
      expect(tmpEntries(tmp)).toEqual([]);
    }, 90_000);
  }

  it('SIGINT during demo without a terminal: 130 and a summary of the steps that ran', async () => {
    const c = startBoardkit(['demo', '-o', join(work, 'payload'), '--out', join(work, 'demo')], { tmpDir: tmp });
    await waitFor(() => /payload builds for the driver set/.test(c.err()), 120_000, 'the demo to reach its second step');
    c.signal('SIGINT');
    expect(await c.done, c.err()).toBe(130);
    expect(c.out()).toMatch(/ok {3}firmware chain boots/);
    expect(c.out()).toMatch(/INTERRUPTED/);
    expect(c.err()).toMatch(/interrupted by SIGINT/);
    expect(c.leftovers()).toEqual([]);
    expect(tmpEntries(tmp)).toEqual([]);
  }, 150_000);
});

describe('Ctrl-C at a terminal (tmux): the same 130, summary and clean-up as without one', () => {
  it('run under a terminal, Ctrl-C typed while QEMU runs', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { readFile: read } = await import('node:fs/promises');
    const { markedProcesses } = await import('../helpers/cli-child.js');
    const { ROOT } = await import('../helpers/node-env.js');
    const run = promisify(execFile);
    if (!(await run('sh', ['-c', 'command -v tmux']).then(() => true, () => false))) return expect.fail('tmux is missing: .ci/debian-packages.txt installs it');
    const kernel = join(work, 'silent.bin');
    await writeFile(kernel, new Uint8Array(4096));
    const mark = `tty-${process.pid}-${Date.now()}`;
    const session = `boardkit-test-${process.pid}`;
    const exitFile = join(work, 'exit');
    const cmd = `cd '${ROOT}' && TMPDIR='${tmp}' BOARDKIT_TEST_MARK='${mark}' '${process.execPath}' bin/boardkit.js run -b qemu-riscv64-virt -k '${kernel}' --out '${join(work, 'run')}' 2>'${join(work, 'err')}'; echo $? > '${exitFile}'; sleep 30`;
    await run('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', cmd]);
    try {
      // boardkit, its QEMU: both carry the marker once QEMU runs.
      await waitFor(() => markedProcesses(mark).length >= 2, 60_000, 'QEMU to start under the terminal');
      await new Promise((r) => setTimeout(r, 1000));
      await run('tmux', ['send-keys', '-t', session, 'C-c']);
      await waitFor(() => {
        try {
          return readFileSync(exitFile, 'utf8').trim() !== '';
        } catch {
          return false;
        }
      }, 60_000, 'boardkit to exit');
      expect((await read(exitFile, 'utf8')).trim()).toBe('130');
      expect(await read(join(work, 'err'), 'utf8')).toMatch(/interrupted by SIGINT after [\d.]+ s in 'run'/);
      expect(markedProcesses(mark)).toEqual([]);
      expect(tmpEntries(tmp)).toEqual([]);
    } finally {
      await run('tmux', ['kill-session', '-t', session]).catch(() => {});
    }
  }, 120_000);
});
