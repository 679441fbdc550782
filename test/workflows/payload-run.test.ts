import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import type { DriverKind } from '../../src/boards/schema.js';
import { newNonce } from '../../src/payload/config-block.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runPayload } from '../../src/workflows/payload-run.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * `payload build` then `run` for every emulated board family: the run passes only when the
 * payload's report is complete AND every host-side oracle agrees. Negative cases: a wrong
 * peripheral base, a payload that lies (test-only build), a stale nonce.
 */
const env = nodeRunEnvironment();
const spawner = env.spawner;

let dir: string;
let registry: BoardRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-payload-run-'));
  await writeFile(
    join(dir, 'bad-gpio.yaml'),
    [
      '# qemu-aarch64-virt with the PL061 at an address where nothing answers',
      'id: aarch64-bad-gpio',
      'extends: qemu-aarch64-virt',
      'memory:',
      '  regions:',
      '    - { name: pl011, base: 0x09000000, size: 0x1000, kind: mmio }',
      '    - { name: fw-cfg, base: 0x09020000, size: 0x18, kind: mmio }',
      '    - { name: nothing-here, base: 0x09050000, size: 0x1000, kind: mmio }',
      '    - { name: virtio-mmio, base: 0x0a000000, size: 0x4000, kind: mmio }',
      '    - { name: dram, base: 0x40000000, size: 0x40000000, kind: ram }',
      'drivers:',
      '  gpio:',
      '    controllers:',
      "      - { name: pl061, compatible: 'arm,pl061', base: 0x09050000, params: { line: 3, oracle: powerdown-edge } }",
      '',
    ].join('\n'),
  );
  registry = await loadBoards([join(ROOT, 'boards'), dir]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function build(board: string, drivers?: DriverKind[], testOnlyFakeOk = false): Promise<string> {
  const out = join(dir, `${board}${testOnlyFakeOk ? '-fake' : ''}`);
  await buildBoardPayload(registry, { board, outDir: out, ...(drivers ? { drivers } : {}), testOnlyFakeOk }, { spawner });
  return out;
}

describe('reference payload: report + host-side oracles', () => {
  it.each([
    ['qemu-riscv64-virt', ['uart', 'storage', 'ethernet']],
    ['qemu-aarch64-virt', ['uart', 'gpio', 'framebuffer', 'storage', 'ethernet']],
    ['rpi3b', ['uart', 'gpio', 'framebuffer', 'storage']],
    ['hifive-unleashed', ['uart', 'gpio']],
    ['x86-kiosk', ['uart', 'framebuffer']],
  ] as const)('%s: %s all proven', async (board, drivers) => {
    const out = await build(board);
    const r = await runPayload(registry, { board, kernel: out }, env);
    const failed = r.oracles.filter((o) => !o.ok).map((o) => `${o.driver}/${o.oracle}: ${o.detail}`);
    expect(failed, r.boot.tail.join('\n')).toEqual([]);
    expect(r.consoleOk, r.boot.failure?.message).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.drivers).toEqual(drivers);
    expect(r.boot.missing).toEqual({ drivers: [] });
    // Every driver with a physical effect has an oracle beyond the payload's own word.
    const proven = new Set(r.oracles.map((o) => o.driver));
    for (const d of drivers) if (d !== 'uart') expect(proven.has(d), `no oracle for ${d}`).toBe(true);
  }, 180_000);

  it('a wrong peripheral base fails at that driver, by name, through the fault vectors', async () => {
    const out = await build('aarch64-bad-gpio', ['uart', 'gpio']);
    const r = await runPayload(registry, { board: 'aarch64-bad-gpio', kernel: out }, env);
    expect(r.ok).toBe(false);
    expect(r.boot.failure?.kind).toMatch(/fault|failure-pattern/);
    expect(r.boot.failure?.line ?? r.boot.failure?.message).toMatch(/BOARDKIT fault pc=0x[0-9a-f]+ addr=0x9050/);
    expect(r.boot.missing.drivers).toEqual(['gpio']);
    expect(r.oracles.find((o) => o.driver === 'gpio')?.ok).toBe(false);
  }, 120_000);

  it('a payload that prints status=ok without doing the work is caught by the oracles', async () => {
    const out = await build('qemu-aarch64-virt', undefined, true);
    const r = await runPayload(registry, { board: 'qemu-aarch64-virt', kernel: out, allowTestOnlyBuild: true }, env);
    expect(r.consoleOk).toBe(true); // its report alone looks perfect
    expect(r.ok).toBe(false);
    const caught = r.oracles.filter((o) => !o.ok).map((o) => o.driver).sort();
    expect(caught).toEqual(['ethernet', 'framebuffer', 'gpio', 'storage']);
  }, 120_000);

  it('a stale nonce (an image patched for another run) is rejected', async () => {
    const out = await build('qemu-riscv64-virt', ['uart']);
    const r = await runPayload(registry, { board: 'qemu-riscv64-virt', kernel: out, nonce: newNonce(), expectNonce: newNonce() }, env);
    expect(r.consoleOk).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.oracles.find((o) => o.oracle === 'nonce')).toMatchObject({ ok: false });
  }, 120_000);
});
