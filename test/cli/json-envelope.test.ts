import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardkit, startBoardkit, waitUntil } from './cli-process.js';

/**
 * Issue 9, item 15: one `--json` envelope for every command, `{ ok, command, ...payload }`, errors
 * included (`{ ok: false, command, error }`); streaming commands print it once per line.
 */

/** stdout must be exactly one JSON object in the envelope; returns it. */
function envelope(stdout: string, command: string): Record<string, any> {
  const value = JSON.parse(stdout) as Record<string, any>;
  expect(Object.keys(value).slice(0, 2)).toEqual(['ok', 'command']);
  expect(typeof value.ok).toBe('boolean');
  expect(value.command).toBe(command);
  return value;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--json envelope: results', () => {
  it.each([
    [['boards', 'list'], 'boards list', 0, (v: Record<string, any>) => expect(v.boards).toHaveLength(10)],
    [['boards', 'show', 'rpi4b'], 'boards show', 0, (v: Record<string, any>) => expect(v).toMatchObject({ id: 'rpi4b', chain: ['rpi4b'] })],
    [['boards', 'validate', 'boards/rpi-cm4.yaml'], 'boards validate', 0, (v: Record<string, any>) => expect(v).toMatchObject({ ok: true, issues: [] })],
    [['boards', 'validate', 'test/fixtures/boards/copy-with-typos.yaml'], 'boards validate', 1, (v: Record<string, any>) => expect(v.issues.map((i: { rule: string }) => i.rule)).toEqual(['duplicate-id', 'unknown-key', 'uart-base-outside-memory-map'])],
    [['boards', 'schema'], 'boards schema', 0, (v: Record<string, any>) => expect(v.schema.title).toBe('boardkit board profile')],
    [['firmware', 'list'], 'firmware list', 0, (v: Record<string, any>) => expect(v.artifacts.map((a: { id: string }) => a.id)).toContain('opensbi-fw-jump')],
  ] as const)('%j', async (args, command, code, check) => {
    const r = await boardkit([...args, '--json']);
    expect(r.code, r.stderr).toBe(code);
    const v = envelope(r.stdout, command);
    expect(v.ok).toBe(code === 0);
    check(v);
  });

  it('firmware verify on an empty cache: ok false, exit 1, the same envelope', async () => {
    const r = await boardkit(['firmware', 'verify', 'opensbi-fw-jump', '--cache-dir', join(dir, 'empty-cache'), '--json']);
    expect(r.code).toBe(1);
    const v = envelope(r.stdout, 'firmware verify');
    expect(v).toMatchObject({ ok: false, failed: ['opensbi-fw-jump'] });
  });

  it('doctor: ok agrees with the exit code', async () => {
    const r = await boardkit(['doctor', '--json']);
    const v = envelope(r.stdout, 'doctor');
    expect(v.ok).toBe(r.code === 0);
    expect(Array.isArray(v.checks)).toBe(true);
  });

  it('payload build: the files it names exist', async () => {
    const out = join(dir, 'payload');
    const r = await boardkit(['payload', 'build', '-b', 'qemu-riscv64-virt', '-o', out, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const v = envelope(r.stdout, 'payload build');
    expect(v.outDir).toBe(out);
    for (const f of [v.elf.path, v.bin.path, v.json]) expect(existsSync(f), f).toBe(true);
  }, 120_000);
});

describe('--json envelope: errors', () => {
  it.each([
    [['boards', 'show', 'rpi9'], 'boards show', 2, 'E_UNKNOWN_BOARD'],
    [['boards', 'list', '--bogus'], 'boards list', 2, 'E_USAGE'],
    [['boards', 'show'], 'boards show', 2, 'E_USAGE'],
    [['run', '-b', 'qemu-riscv64-virt'], 'run', 2, 'E_USAGE'],
    [['boards', 'validate', 'no/such/file.yaml'], 'boards validate', 2, 'E_PROFILE_READ'],
    [['console', '/dev/ttyNOPE'], 'console', 2, 'E_USAGE'],
    [['verify-boot', '-b', 'rpi4b', '-p', '/dev/ttyNOPE'], 'verify-boot', 2, 'E_SERIAL_NOT_FOUND'],
    [['firmware', 'import', 'no/such/file.bin', '--id', 'opensbi-fw-jump'], 'firmware import', 2, undefined],
  ] as const)('%j', async (args, command, code, errorCode) => {
    const r = await boardkit([...args, '--json', '--cache-dir', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(code);
    const v = envelope(r.stdout, command);
    expect(v.ok).toBe(false);
    expect(Object.keys(v)).toEqual(['ok', 'command', 'error']);
    expect(v.error).toMatchObject({ kind: expect.any(String), message: expect.any(String) });
    if (errorCode) expect(v.error.code).toBe(errorCode);
  });
});

describe('--json envelope: streams (one envelope per line)', () => {
  it('netboot serve: every event, and "stopped" with the totals at the end', async () => {
    const cli = startBoardkit(['netboot', 'serve', '--root', dir, '--listen', '127.0.0.1:0', '--json']);
    try {
      expect(await waitUntil(() => cli.stdout().includes('"listening"'))).toBe(true);
      cli.child.kill('SIGINT');
      expect(await cli.exited).toBe(0);
      const lines = cli.stdout().trim().split('\n');
      for (const line of lines) expect(Object.keys(JSON.parse(line)).slice(0, 2)).toEqual(['ok', 'command']);
      const events = lines.map((l) => JSON.parse(l) as Record<string, any>);
      expect(events.every((e) => e.command === 'netboot serve' && e.ok === true)).toBe(true);
      expect(events[0]!.type).toBe('listening');
      expect(events.at(-1)).toMatchObject({ type: 'stopped', transfers: 0 });
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('monitor: one "line" event per console line, a "summary" at the end', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.write('hello\r\nworld\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const cli = startBoardkit(['monitor', `tcp:127.0.0.1:${port}`, '--json']);
    try {
      expect(await waitUntil(() => cli.stdout().includes('world')), cli.stderr()).toBe(true);
      cli.child.kill('SIGINT');
      expect(await cli.exited).toBe(0);
      const events = cli.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      expect(events.map((e) => [e.ok, e.command, e.type])).toEqual([
        [true, 'monitor', 'line'],
        [true, 'monitor', 'line'],
        [true, 'monitor', 'summary'],
      ]);
      expect(events[0]!.line).toMatch(/hello$/);
    } finally {
      cli.child.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
