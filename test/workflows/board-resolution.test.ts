import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoardRegistry, type LoadedProfile } from '../../src/boards/registry.js';
import { CONFIG_LENGTH, CONFIG_MAGIC, CONFIG_VERSION } from '../../src/payload/config-block.js';
import type { Spawner } from '../../src/transports/spawner.js';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { runBoard } from '../../src/workflows/run-board.js';
import { runNetboot } from '../../src/workflows/netboot-run.js';
import { runPayload } from '../../src/workflows/payload-run.js';
import { verifyBootOnPort } from '../../src/workflows/verify-boot.js';
import { netbootServe } from '../../src/workflows/netboot-serve.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * A board is looked up once per command: the workflow a command calls resolves the profile, and
 * every workflow it calls in turn (payload → netboot → board) is handed the profile. The counting
 * registry sees each lookup; the edges after resolution refuse to start anything, so no QEMU runs.
 */
class CountingRegistry extends BoardRegistry {
  lookups: string[] = [];
  override get(id: string): LoadedProfile {
    this.lookups.push(id);
    return super.get(id);
  }
}

class Refused extends Error {}

function refusingEnv() {
  const real = nodeRunEnvironment();
  const spawner: Spawner = {
    run: (tool, args, o) => (tool.startsWith('qemu-system') ? Promise.reject(new Refused(`test refuses ${tool}`)) : real.spawner.run(tool, args, o)),
    spawn: (tool) => Promise.reject(new Refused(`test refuses ${tool}`)),
    which: (tool) => real.spawner.which(tool),
  };
  return {
    ...real,
    spawner,
    openLink: () => Promise.reject(new Refused('test refuses to open a port')),
    openQemuFrameLink: () => Promise.reject(new Refused('test refuses a frame link')),
  };
}

let dir: string;
let payload: string;
let registry: CountingRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-resolve-'));
  // A payload file with an empty config block: enough to be patched (no manifest: driver set uart).
  const bytes = new Uint8Array(4096);
  bytes.set(CONFIG_MAGIC, 1024);
  new DataView(bytes.buffer).setUint16(1024 + 16, CONFIG_VERSION, true);
  new DataView(bytes.buffer).setUint16(1024 + 18, CONFIG_LENGTH, true);
  payload = join(dir, 'payload.bin');
  await writeFile(payload, bytes);
  const loaded = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')] });
  registry = new CountingRegistry(loaded.list());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lookupsOf(fn: () => Promise<unknown>): Promise<string[]> {
  registry.lookups = [];
  const err = await fn().then(() => undefined, (e: unknown) => e);
  // It got as far as the edge (QEMU, the port, the link): every nested workflow had run by then.
  const chain: string[] = [];
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) chain.push(e instanceof Error ? e.message : String(e));
  expect(chain.join(' <- ')).toMatch(/test refuses/);
  return registry.lookups;
}

describe('each profile is looked up once per command', () => {
  const env = () => refusingEnv();
  it('run --firmware-only', async () => {
    expect(await lookupsOf(() => runBoard(registry, { board: 'qemu-riscv64-virt', mode: 'firmware-only' }, env()))).toEqual(['qemu-riscv64-virt']);
  });
  it('run --kernel with the reference payload path (payload → board)', async () => {
    expect(await lookupsOf(() => runPayload(registry, { board: 'qemu-riscv64-virt', kernel: payload }, env()))).toEqual(['qemu-riscv64-virt']);
  });
  it('run --netboot (payload → netboot → board)', async () => {
    expect(await lookupsOf(() => runPayload(registry, { board: 'qemu-riscv64-virt', kernel: payload, netboot: true }, env()))).toEqual(['qemu-riscv64-virt']);
    expect(await lookupsOf(() => runNetboot(registry, { board: 'qemu-riscv64-virt', kernel: payload }, env()))).toEqual(['qemu-riscv64-virt']);
  });
  it('netboot serve --board (and --clients naming the same board)', async () => {
    const serve = (extra: Record<string, unknown>) =>
      lookupsOf(() =>
        netbootServe({
          registry,
          board: 'qemu-riscv64-virt',
          payload,
          qemuLink: '0:0',
          openQemuLink: () => Promise.reject(new Refused('test refuses a QEMU link')),
          ...extra,
        }),
      );
    expect(await serve({})).toEqual(['qemu-riscv64-virt']);
    expect(await serve({ clients: '52:54:00:12:34:56=qemu-riscv64-virt' })).toEqual(['qemu-riscv64-virt']);
  });

  it('verify-boot', async () => {
    expect(await lookupsOf(() => verifyBootOnPort(registry, { board: 'qemu-riscv64-virt', port: '/dev/null' }, env().openLink))).toEqual(['qemu-riscv64-virt']);
  });
});
