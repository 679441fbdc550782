import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/artifacts/manifest-loader.js';
import { boardkit, ROOT } from './cli-process.js';

/**
 * Issue 9, item 10: each bad path ends with the exit code of the README's table (1 check failed,
 * 2 usage, 3 host setup, 4 infrastructure) and names what is wrong; none ends in 70.
 */

/** The line carrying `# <- rule` in a fixture, 1-based. */
async function markedLine(file: string, rule: string): Promise<number> {
  const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
  return lines.findIndex((l) => l.includes(`# <- ${rule}`)) + 1;
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then closed): connecting is refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-exit-codes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a bad profile file is an input error (exit 1) naming the file and line', () => {
  it('boards validate of a YAML alias bomb', async () => {
    const file = 'test/fixtures/boards/alias-bomb.yaml';
    const r = await boardkit(['boards', 'validate', file]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${file}:${await markedLine(file, 'yaml-syntax')}:`);
    expect(r.stderr).toMatch(/yaml-syntax .*alias bomb/);
    expect(r.stderr).not.toMatch(/looks like a bug/);
  });

  it('boards list --boards-dir with an alias bomb in it', async () => {
    const r = await boardkit(['boards', 'list', '--boards-dir', 'test/fixtures/boards/bomb-dir']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`test/fixtures/boards/bomb-dir/bomb.yaml:${await markedLine('test/fixtures/boards/bomb-dir/bomb.yaml', 'yaml-syntax')}:`);
    const json = await boardkit(['boards', 'list', '--json', '--boards-dir', 'test/fixtures/boards/bomb-dir']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, command: 'boards list', error: { kind: 'input', details: { issues: [{ file: 'test/fixtures/boards/bomb-dir/bomb.yaml', rule: 'yaml-syntax' }] } } });
  });

  it('boards list --boards-dir with a broken symlink names it', async () => {
    const boards = join(dir, 'broken-link');
    await mkdir(boards);
    const { symlink } = await import('node:fs/promises');
    await symlink(join(boards, 'gone.yaml'), join(boards, 'mine.yaml'));
    const r = await boardkit(['boards', 'list', '--boards-dir', boards]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(join(boards, 'mine.yaml'));
  });
});

describe('consoles: a path that does not exist is a usage error (2), an unreachable console is infrastructure (4)', () => {
  it('verify-boot --port /dev/ttyNOPE exits 2 naming the path', async () => {
    const r = await boardkit(['verify-boot', '-b', 'rpi4b', '--port', '/dev/ttyNOPE']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('serial port /dev/ttyNOPE does not exist');
  });

  it('console /dev/ttyNOPE and monitor /dev/ttyNOPE exit 2 naming the path', async () => {
    for (const args of [['console', '/dev/ttyNOPE'], ['monitor', '/dev/ttyNOPE']]) {
      const r = await boardkit(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('/dev/ttyNOPE does not exist');
    }
  });

  it('a refused tcp: console exits 4 (verify-boot, console)', async () => {
    const port = await refusedPort();
    for (const args of [['verify-boot', '-b', 'rpi4b', '--port', `tcp:127.0.0.1:${port}`], ['console', `tcp:127.0.0.1:${port}`]]) {
      const r = await boardkit(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toContain(`cannot connect to console tcp:127.0.0.1:${port}`);
      expect(r.stderr).toMatch(/ECONNREFUSED/);
    }
  });
});

describe('a corrupt artefact in the cache is host setup (exit 3)', () => {
  it('run exits 3 with E_ARTIFACT_CORRUPT and the fetch hint, before QEMU starts', async () => {
    const cache = join(dir, 'corrupt-cache');
    // Every artefact present but with the wrong bytes: whichever the run needs first is corrupt.
    for (const id of loadManifests(join(ROOT, 'firmware-manifests')).ids()) {
      const entry = loadManifests(join(ROOT, 'firmware-manifests')).get(id);
      await mkdir(join(cache, 'artifacts', id), { recursive: true });
      await writeFile(join(cache, 'artifacts', id, entry.filename), 'not the firmware');
    }
    const r = await boardkit(['run', '-b', 'qemu-riscv64-virt', '--firmware-only', '--cache-dir', cache, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, command: 'run', error: { code: 'E_ARTIFACT_CORRUPT', kind: 'environment' } });
    expect(out.error.message).toMatch(/in the cache is corrupt: sha256 of .* is [0-9a-f]{64}, expected [0-9a-f]{64}/);
    expect(out.error.hint).toMatch(/boardkit firmware fetch \S+/);
    expect(out.error.hint).toContain('boardkit firmware verify');
  });
});

describe('an output path that cannot be written is a usage error (2), not a bug (70)', () => {
  it('boards schema -o into a directory that does not exist', async () => {
    const target = join(dir, 'no-such-dir', 'board.schema.json');
    const r = await boardkit(['boards', 'schema', '-o', target]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`cannot write the schema to '${target}'`);
    expect(r.stderr).not.toMatch(/looks like a bug/);
  });
});

describe('what argument validation refuses is a usage error (2), not a bug (70)', () => {
  it('run with no mode (its .check() throws a plain Error)', async () => {
    const r = await boardkit(['run', '-b', 'qemu-riscv64-virt']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('say what to boot');
    expect(r.stderr).not.toMatch(/looks like a bug/);
  });
});

describe('exit code 70 is documented', () => {
  it('in --help and in the README', async () => {
    const help = await boardkit(['--help'], { env: { COLUMNS: '200' } });
    expect(help.stdout).toContain('70 internal error (a bug: please report)');
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(help.stdout.match(/Exit codes: [^\n]*/)![0]);
  });
});
