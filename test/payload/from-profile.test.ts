import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import { payloadSpecFor, supportedDrivers } from '../../src/payload/from-profile.js';
import { planPayloadBuild } from '../../src/payload/build-payload.js';
import { HIFIVE_UNLEASHED, QEMU_AARCH64_VIRT, QEMU_RISCV64_VIRT, RPI3B, X86_KIOSK } from './helpers/boards.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('payload spec from the board profile', () => {
  it.each([
    ['qemu-riscv64-virt', QEMU_RISCV64_VIRT],
    ['qemu-aarch64-virt', QEMU_AARCH64_VIRT],
    ['rpi3b', RPI3B],
    ['hifive-unleashed', HIFIVE_UNLEASHED],
    ['x86-kiosk', X86_KIOSK],
  ])('%s: the profile gives the spec proven on QEMU by the payload tests', async (id, proven) => {
    const registry = await loadBoards([join(ROOT, 'boards')]);
    const spec = payloadSpecFor(registry.get(id).profile);
    expect(spec).toEqual(proven);
    expect(() => planPayloadBuild(spec, { outDir: '/nonexistent' })).not.toThrow();
  });

  it('asking for a driver the board lacks names what it supports and why', async () => {
    const registry = await loadBoards([join(ROOT, 'boards')]);
    const riscv = registry.get('qemu-riscv64-virt').profile;
    expect(supportedDrivers(riscv)).toEqual(['uart', 'storage', 'ethernet']);
    expect(() => payloadSpecFor(riscv, ['uart', 'gpio'])).toThrow(/gpio: unsupported on qemu-riscv64-virt \(QEMU riscv64 virt has no GPIO controller\)/);
  });
});
