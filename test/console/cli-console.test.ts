import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasSocat, sleep, spawner, startLoopbackPty, startPtyPair, waitFor, type PtyPair } from './helpers/pty-pair.js';

/**
 * The built CLI (`node bin/boardkit.js`, after `npm run build`) driven like a user would: the
 * interactive console inside tmux, the monitor as a plain child process stopped with SIGINT.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'boardkit.js');
const BUILT = existsSync(join(ROOT, 'dist', 'cli', 'commands', 'console.js'));
const SOCAT = await hasSocat();
const TMUX = (await spawner.which('tmux')) !== undefined;

describe.skipIf(!SOCAT || !TMUX || !BUILT)('boardkit console in tmux', () => {
  let dir: string;
  const socket = `boardkit-test-${process.pid}`;
  const tmux = (...args: string[]) => spawner.run('tmux', ['-L', socket, ...args]);
  const capture = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', 'bk', '-S', '-100')).stdout.toString();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'boardkit-cli-'));
  });
  afterEach(async () => {
    await tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  });

  it('echoes typed input through a loopback pty, logs it, and quits on Ctrl-]', async () => {
    const loop = await startLoopbackPty(dir);
    try {
      const log = join(dir, 'session.log');
      const cmd = `node ${BIN} console ${loop.a} --log ${log}; echo "EXIT=$?"; sleep 60`;
      const started = await tmux('new-session', '-d', '-s', 'bk', '-x', '120', '-y', '30', cmd);
      expect(started.exitCode).toBe(0);
      let screen = '';
      const deadline = Date.now() + 15_000;
      while (!(screen = await capture()).includes('Press Ctrl-] to quit')) {
        if (Date.now() > deadline) throw new Error(`no banner; screen:\n${screen}`);
        await sleep(100);
      }
      await tmux('send-keys', '-t', 'bk', '-l', 'hello from the keyboard');
      await tmux('send-keys', '-t', 'bk', 'Enter');
      const echoDeadline = Date.now() + 5000;
      // Only the loopback can put the text on screen: the terminal is in raw mode (no local echo).
      while (!(screen = await capture()).includes('hello from the keyboard')) {
        if (Date.now() > echoDeadline) throw new Error(`no echo; screen:\n${screen}`);
        await sleep(100);
      }
      await tmux('send-keys', '-t', 'bk', 'C-]');
      const exitDeadline = Date.now() + 5000;
      while (!(screen = await capture()).includes('EXIT=')) {
        if (Date.now() > exitDeadline) throw new Error(`did not quit; screen:\n${screen}`);
        await sleep(100);
      }
      expect(screen).toContain('console closed (escape)');
      expect(screen).toContain('EXIT=0');
      expect(readFileSync(log, 'utf8')).toContain('hello from the keyboard\r');
    } finally {
      await loop.stop();
    }
  });
});

describe.skipIf(!SOCAT || !BUILT)('boardkit monitor', () => {
  let dir: string;
  const pairs: PtyPair[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'boardkit-mon-'));
  });
  afterEach(async () => {
    for (const p of pairs.splice(0)) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows two consoles with device and time prefixes and writes one correct log per device', async () => {
    pairs.push(await startPtyPair(dir, { a: 'boardA', b: 'devA' }), await startPtyPair(dir, { a: 'boardB', b: 'devB' }));
    const [one, two] = pairs as [PtyPair, PtyPair];
    const logDir = join(dir, 'logs');
    const child = await spawner.spawn('node', [BIN, 'monitor', one.a, two.a, '--log-dir', logDir], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor(() => err.includes('monitoring'), 15_000, `the monitor banner (stderr: ${err})`);
      for (let i = 0; i < 5; i++) {
        one.write(`A says ${i}\r\n`);
        two.write(`\x1b[32mB says ${i}\x1b[0m\r\n`);
        await sleep(20);
      }
      await waitFor(() => out.includes('A says 4') && out.includes('B says 4'), 5000, 'both consoles on stdout');
    } finally {
      child.kill('SIGINT');
    }
    expect(await child.exited).toEqual({ exitCode: 0, signal: null }); // a clean stop: ports closed, logs flushed
    const lines = out.split('\n').filter(Boolean);
    expect(lines.filter((l) => /^\[boardA \d\d:\d\d:\d\d\.\d{3}\] A says \d$/.test(l))).toHaveLength(5);
    expect(lines.filter((l) => /^\[boardB \d\d:\d\d:\d\d\.\d{3}\] B says \d$/.test(l))).toHaveLength(5);

    const logA = readFileSync(join(logDir, 'boardA.log'), 'utf8').trimEnd().split('\n');
    const logB = readFileSync(join(logDir, 'boardB.log'), 'utf8').trimEnd().split('\n');
    expect(logA.map((l) => l.replace(/^\[\d\d:\d\d:\d\d\.\d{3}\] /, ''))).toEqual([0, 1, 2, 3, 4].map((i) => `A says ${i}`));
    expect(logB.map((l) => l.replace(/^\[\d\d:\d\d:\d\d\.\d{3}\] /, ''))).toEqual([0, 1, 2, 3, 4].map((i) => `B says ${i}`));
    for (const l of [...logA, ...logB]) expect(l).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] /);
  });
});
