import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoardkitError } from '../../src/core/errors.js';
import { startQemu } from '../../src/emulator/qemu-runner.js';
import { FakeQmpServer } from '../../src/transports/fake/fake-qmp.js';
import { FakeChild, FakeSpawner as ScriptedSpawner } from '../../src/transports/fake/fake-spawner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'bk-lifecycle-test-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});
const exists = (p: string) => access(p).then(() => true, () => false);

/** A QEMU stand-in (a FakeChild that only dies of the listed signals) started by a fake spawner. */
class StubbornChild extends FakeChild {
  constructor(diesOf: NodeJS.Signals[]) {
    super({ diesOf });
  }
}

class FakeSpawner extends ScriptedSpawner {
  constructor(readonly child: StubbornChild) {
    super({ tools: ['qemu-system-riscv64'] });
    this.onSpawn('qemu-system-riscv64', child);
  }
  /** The arguments QEMU was started with ([] when it was not started). */
  get args(): readonly string[] {
    return this.calls.find((c) => c.method === 'spawn')?.args ?? [];
  }
}

/** Answers the handshake and query-chardev; ignores `quit` (a wedged QEMU). */
function fakeQmp(commands: string[]) {
  return new FakeQmpServer({ onCommand: (c) => commands.push(c.execute) })
    .reply('query-chardev', [{ label: 'con0', filename: 'disconnected:unix:/x/console0.sock,server=on' }])
    .ignore('quit').connect;
}

describe('runner lifecycle (fakes)', () => {
  it('escalates quit → SIGTERM → SIGKILL for a wedged QEMU and still removes its files', async () => {
    const child = new StubbornChild(['SIGKILL']);
    const commands: string[] = [];
    const slots = join(base, 'slots1');
    const vm = await startQemu(
      { binary: 'qemu-system-riscv64', machine: 'virt' },
      { spawner: new FakeSpawner(child), connectQmp: fakeQmp(commands), accel: 'tcg', tmpDir: base, slot: { dir: slots }, stopWaitsMs: { quit: 50, term: 50, kill: 500 } },
    );
    expect(vm.consolePath).toBe('/x/console0.sock');
    expect(await exists(vm.workDir)).toBe(true);
    const result = await vm.shutdown();
    expect(result).toEqual({ how: 'sigkill', exitCode: null, signal: 'SIGKILL' });
    expect(commands).toEqual(['qmp_capabilities', 'query-chardev', 'quit']);
    expect(child.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(await exists(vm.workDir)).toBe(false);
    expect(await readdir(slots)).toEqual([]);
  });

  it('cleans up when the machine exits by itself (guest power-off), without shutdown()', async () => {
    const child = new StubbornChild([]);
    const slots = join(base, 'slots2');
    const vm = await startQemu(
      { binary: 'qemu-system-riscv64', machine: 'virt' },
      { spawner: new FakeSpawner(child), connectQmp: fakeQmp([]), accel: 'tcg', tmpDir: base, slot: { dir: slots } },
    );
    child.exit(0);
    await vm.exited;
    const result = await vm.shutdown();
    expect(result.how).toBe('exited');
    expect(child.signals).toEqual([]);
    expect(await exists(vm.workDir)).toBe(false);
    expect(await readdir(slots)).toEqual([]);
  });

  it('an already-aborted signal starts nothing', async () => {
    const child = new StubbornChild(['SIGTERM']);
    const spawner = new FakeSpawner(child);
    const ac = new AbortController();
    ac.abort();
    await expect(startQemu({ binary: 'qemu-system-riscv64', machine: 'virt' }, { spawner, connectQmp: fakeQmp([]), accel: 'tcg', tmpDir: base, slot: false, signal: ac.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(spawner.args).toEqual([]);
  });
});

const real = new NodeSpawner();
describe.skipIf((await real.which('qemu-system-riscv64')) === undefined)('runner lifecycle (real QEMU)', () => {
  it('a QEMU that dies during start gives a typed error with its stderr and leaves nothing behind', async () => {
    const dir = await mkdtemp(join(base, 'early-'));
    const slots = join(base, 'slots3');
    const err = await startQemu(
      { binary: 'qemu-system-riscv64', machine: 'no-such-machine' },
      { spawner: real, connectQmp: connectQmpSocket, accel: 'tcg', tmpDir: dir, slot: { dir: slots } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardkitError);
    expect((err as BoardkitError).code).toBe('E_QEMU_EXITED');
    expect((err as BoardkitError).message).toMatch(/unsupported machine type/);
    expect(await readdir(dir)).toEqual([]);
    expect(await readdir(slots)).toEqual([]);
  });
});
