import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { artifactIdsForMode, EXPECT_SETS, netbootFlow, planEmulatedBoot, verificationPlan } from '../../src/boards/plan.js';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { ROOT } from '../helpers/node-env.js';

/** The one derivation of a board's facts: pure, from profile data only. */
let registry: BoardRegistry;
beforeAll(async () => {
  registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')] });
});
const profile = (id: string) => registry.get(id).profile;

describe('board plan', () => {
  it('derives the artefacts, markers, failures and end condition of a mode', () => {
    const p = planEmulatedBoot(profile('x86-kiosk'), 'kernel');
    expect(p.artifactIds.sort()).toEqual(['ovmf-code-4m', 'ovmf-vars-4m']);
    expect(p.verification.markers.map((m) => m.stage)).toEqual(['uefi', 'payload']);
    expect(p.verification.failures.map((f) => f.name)).toContain('uefi-exception');
    expect(p.verification.end).toEqual({ settleMs: 1000 });
    expect(artifactIdsForMode(profile('qemu-riscv64-virt'), 'firmware-only').sort()).toEqual(['opensbi-fw-jump', 'u-boot-qemu-riscv64-smode'].sort());
  });

  it('the run says what a foreign payload prints: --expect replaces the payload marker, --fail adds patterns', () => {
    const v = verificationPlan(profile('x86-kiosk'), ['uefi', 'payload'], { expect: ['iPXE \\d', 'autoboot'], fail: ['No more network devices'] });
    expect(v.markers.map((m) => [m.stage, m.pattern])).toEqual([
      ['uefi', profile('x86-kiosk').verify.markers.find((m) => m.stage === 'uefi')!.pattern],
      ['expect-1', 'iPXE \\d'],
      ['expect-2', 'autoboot'],
    ]);
    expect(v.markers[1]!.timeoutMs).toBe(profile('x86-kiosk').verify.markers.find((m) => m.stage === 'payload')!.timeoutMs);
    expect(v.failures.at(-1)).toEqual({ name: 'fail-1', pattern: 'No more network devices' });
  });

  it('a failure armed after the payload stage arms after the run\'s first expectation; expect-set none keeps the firmware alone', () => {
    const v = verificationPlan(profile('qemu-riscv64-virt'), ['opensbi', 'u-boot', 'payload'], { expectSet: 'linux' });
    expect(v.markers.map((m) => m.stage)).toEqual(['opensbi', 'u-boot', 'linux']);
    expect(v.failures.find((f) => f.name === 'unexpected-reset')?.after).toBe('linux');
    const none = verificationPlan(profile('qemu-riscv64-virt'), ['opensbi', 'u-boot', 'payload'], { expectSet: 'none' });
    expect(none.markers.map((m) => m.stage)).toEqual(['opensbi', 'u-boot']);
    expect(none.failures.some((f) => f.name === 'unexpected-reset')).toBe(false);
    expect(Object.keys(EXPECT_SETS)).toEqual(['boardkit-report', 'linux', 'none']);
  });

  it('refuses an unknown expectation set, naming the known ones', () => {
    expect(() => verificationPlan(profile('qemu-riscv64-virt'), ['payload'], { expectSet: 'zephyr' })).toThrow(/not a known expectation set/);
  });

  it('netboot flows come from the profile\'s netboot data', () => {
    expect(netbootFlow(profile('qemu-riscv64-virt'))).toBe('uboot-script');
    expect(netbootFlow(profile('x86-kiosk'))).toBe('pxe');
    expect(netbootFlow(profile('rpi4b'))).toBe('rpi-firmware');
  });
});
