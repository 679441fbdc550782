import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type RunningQemu } from '../../src/emulator/qemu-runner.js';
import type { QemuMachineSpec } from '../../src/emulator/qemu-spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';
import { openRawConsole } from './raw-console.js';

const FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const UBOOT_RV = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin';
const UBOOT_ARM64 = '/usr/lib/u-boot/qemu_arm64/u-boot.bin';

const exists = (p: string) => access(p).then(() => true, () => false);
const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const spawner = new NodeSpawner();
let base: string;
let slotDir: string;
const started: RunningQemu[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'bk-emu-test-'));
  slotDir = join(base, 'slots');
});
afterAll(async () => {
  // Belt and braces: anything a failed test left running is stopped by its PID.
  for (const vm of started) await vm.shutdown().catch(() => {});
  await rm(base, { recursive: true, force: true });
});

async function start(spec: QemuMachineSpec, extra: Partial<Parameters<typeof startQemu>[1]> = {}) {
  const vm = await startQemu(spec, { spawner, connectQmp: connectQmpSocket, accel: 'tcg', tmpDir: base, slot: { dir: slotDir }, ...extra });
  started.push(vm);
  return vm;
}

describe.skipIf(!(await exists(FW_JUMP)) || !(await exists(UBOOT_RV)))('riscv64 virt: OpenSBI + U-Boot', () => {
  it('starts paused, loses nothing before resume, shows OpenSBI then U-Boot, shuts down cleanly', async () => {
    const t0 = Date.now();
    const vm = await start({ binary: 'qemu-system-riscv64', machine: 'virt', memory: '256M', bios: FW_JUMP, kernel: UBOOT_RV });
    expect(vm.consoles[0]?.kind).toBe('unix');
    expect(vm.consolePath.startsWith(vm.workDir)).toBe(true);
    expect(pidAlive(vm.pid)).toBe(true);
    const status = await vm.qmp.execute<{ status: string; running: boolean }>('query-status');
    expect(status).toMatchObject({ status: 'prelaunch', running: false });

    const con = await openRawConsole(vm.consolePath);
    // Paused: the CPU has not run, so nothing was printed (and nothing could be lost).
    await new Promise((r) => setTimeout(r, 300));
    expect(con.text()).toBe('');
    await vm.resume();
    await con.waitFor('OpenSBI v', 15_000);
    await con.waitFor('U-Boot 20', 15_000);
    const text = con.text();
    expect(text.indexOf('OpenSBI v')).toBeLessThan(text.indexOf('U-Boot 20'));
    const bootMs = Date.now() - t0;
    con.close();

    const slotFiles = await readdir(slotDir);
    expect(slotFiles.length).toBe(1);
    const result = await vm.shutdown();
    expect(result.how).toBe('quit');
    expect(pidAlive(vm.pid)).toBe(false);
    expect(await exists(vm.workDir)).toBe(false);
    expect(await readdir(slotDir)).toEqual([]);
    // idempotent
    expect(await vm.shutdown()).toEqual(result);
    console.info(`riscv64 virt: U-Boot banner ${bootMs} ms after start`);
  }, 40_000);

  it('aborting the caller signal stops QEMU and removes its files', async () => {
    const ac = new AbortController();
    const vm = await start({ binary: 'qemu-system-riscv64', machine: 'virt', memory: '256M', bios: FW_JUMP, kernel: UBOOT_RV }, { signal: ac.signal, console: 'pty' });
    expect(vm.consoles[0]).toMatchObject({ kind: 'pty' });
    expect(vm.consolePath).toMatch(/^\/dev\/pts\/\d+$/);
    await vm.resume();
    ac.abort();
    const exit = await vm.exited;
    expect(exit).toBeDefined();
    const result = await vm.shutdown();
    expect(['quit', 'sigterm', 'sigkill', 'exited']).toContain(result.how);
    expect(pidAlive(vm.pid)).toBe(false);
    expect(await exists(vm.workDir)).toBe(false);
  }, 30_000);

  it('reports QMP events (STOP/RESUME/RESET/POWERDOWN) and exposes a TCP console', async () => {
    const vm = await start({ binary: 'qemu-system-riscv64', machine: 'virt', memory: '256M', bios: FW_JUMP, kernel: UBOOT_RV }, { console: { kind: 'tcp' } });
    const ep = vm.consoles[0];
    if (ep?.kind !== 'tcp') throw new Error(`expected a tcp console, got ${JSON.stringify(ep)}`);
    expect(ep.port).toBeGreaterThan(0);
    const con = await openRawConsole({ host: ep.host, port: ep.port });
    const seen: string[] = [];
    const stream = (async () => {
      for await (const e of vm.eventStream()) seen.push(e.event);
    })();
    await vm.resume();
    await con.waitFor('OpenSBI v', 15_000);
    const since = vm.events.length;
    await vm.reset();
    const reset = await vm.waitForEvent('RESET', { since, timeoutMs: 5000 });
    expect(reset.data).toMatchObject({ guest: false });
    // After a reset the firmware runs again from the start: a second OpenSBI banner.
    await con.waitFor(/OpenSBI v[\s\S]*OpenSBI v/, 15_000);
    await vm.powerdown();
    await vm.waitForEvent('POWERDOWN', { since, timeoutMs: 5000 });
    con.close();
    await vm.shutdown();
    await stream;
    expect(seen).toEqual(expect.arrayContaining(['RESUME', 'RESET', 'POWERDOWN', 'SHUTDOWN']));
  }, 45_000);
});

describe.skipIf(!(await exists(UBOOT_ARM64)))('aarch64 virt: U-Boot with acpi=off', () => {
  it('shows the U-Boot banner', async () => {
    const vm = await start({ binary: 'qemu-system-aarch64', machine: 'virt', machineOptions: ['acpi=off'], cpu: 'cortex-a57', memory: '256M', bios: UBOOT_ARM64 });
    const con = await openRawConsole(vm.consolePath);
    await vm.resume();
    await con.waitFor('U-Boot 20', 15_000);
    con.close();
    await vm.shutdown();
    expect(pidAlive(vm.pid)).toBe(false);
    expect(await exists(vm.workDir)).toBe(false);
  }, 30_000);
});
