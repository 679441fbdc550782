import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/core/abort.js';
import { acquireQemuSlot, slotHolders } from '../../src/emulator/slot-lock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bk-slots-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('QEMU slot lock', () => {
  it('never hands out more slots than configured; a release lets the next waiter in', async () => {
    const d = join(dir, 'a');
    const a = await acquireQemuSlot({ dir: d, slots: 2 });
    const b = await acquireQemuSlot({ dir: d, slots: 2 });
    expect(new Set([a.index, b.index])).toEqual(new Set([0, 1]));
    expect((await readFile(a.path, 'utf8')).split(' ')[0]).toBe(String(process.pid));
    let got = false;
    const third = acquireQemuSlot({ dir: d, slots: 2, pollMs: 20 }).then((s) => ((got = true), s));
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toBe(false);
    await a.release();
    const c = await third;
    expect(c.index).toBe(a.index);
    await b.release();
    await c.release();
    await a.release(); // idempotent, and must not delete c's file (same path, different token)
    expect(await readdir(d)).toEqual([]);
  });

  it('reclaims the lock of a dead PID but not of a live one', async () => {
    const d = join(dir, 'b');
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'slot-0.lock'), '999999999 deadbeef\n');
    await writeFile(join(d, 'slot-1.lock'), `${process.ppid} cafe\n`);
    const s = await acquireQemuSlot({ dir: d, slots: 2, isAlive: (pid) => pid !== 999999999 });
    expect(s.index).toBe(0);
    const holders = await slotHolders(d);
    expect(holders.map((h) => h.pid).sort()).toEqual([process.pid, process.ppid].sort());
    await s.release();
  });

  it('keeps a slot whose owner died while its QEMU child still runs', async () => {
    const d = join(dir, 'd');
    const s = await acquireQemuSlot({ dir: d, slots: 1, pid: 111 });
    await s.setChildPid(222);
    expect((await readFile(s.path, 'utf8')).trim().split(' ')).toEqual(['111', expect.any(String), '222']);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    // owner 111 dead, child 222 alive → not reclaimable
    await expect(acquireQemuSlot({ dir: d, slots: 1, pollMs: 10, signal: ac.signal, isAlive: (p) => p === 222 })).rejects.toBeInstanceOf(AbortedError);
    // both dead → reclaimed
    const t = await acquireQemuSlot({ dir: d, slots: 1, isAlive: () => false });
    expect(t.index).toBe(0);
    await t.release();
    await s.release(); // not ours any more: must not delete anything
    expect(await readdir(d)).toEqual([]);
  });

  it('gives up with AbortedError when the signal aborts while waiting', async () => {
    const d = join(dir, 'c');
    const held = await acquireQemuSlot({ dir: d, slots: 1 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(acquireQemuSlot({ dir: d, slots: 1, signal: ac.signal, pollMs: 10 })).rejects.toBeInstanceOf(AbortedError);
    await held.release();
  });
});
