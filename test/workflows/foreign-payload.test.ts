import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBoardkit } from '../helpers/cli-child.js';

/**
 * A payload no one here wrote: Debian's iPXE EFI application (package `ipxe`, in
 * .ci/debian-packages.txt) on the x86 kiosk. The profile's payload marker is the reference
 * payload's report line; the run says what iPXE prints instead.
 */
const IPXE = '/usr/lib/ipxe/ipxe.efi';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-foreign-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a foreign payload is verified by what the run says it prints', () => {
  it('iPXE passes on x86-kiosk with --expect, and fails with --fail on its own "No more network devices" line', async () => {
    expect(existsSync(IPXE), `${IPXE} is missing: .ci/install-deps.sh installs Debian's ipxe`).toBe(true);
    const ok = startBoardkit(['run', '-b', 'x86-kiosk', '-k', IPXE, '--expect', 'iPXE \\d', '--out', join(dir, 'ok'), '--json'], { tmpDir: dir });
    expect(await ok.done, ok.err()).toBe(0);
    const report = JSON.parse(ok.out());
    expect(report.boot.timeline.map((s: { stage: string }) => s.stage)).toEqual(['uefi', 'expect-1']);
    expect(report.boot.timeline[1].line).toMatch(/iPXE \d.*Open Source Network Boot Firmware/);
    // The whole board whatever the payload: the kiosk's display is there for a foreign EFI application too.
    expect(report.qemu.args.join(' ')).toMatch(/-device (VGA|bochs-display|ramfb|virtio-gpu)/);

    const bad = startBoardkit(['run', '-b', 'x86-kiosk', '-k', IPXE, '--expect', 'iPXE \\d', '--fail', 'No more network devices', '--out', join(dir, 'bad')], { tmpDir: dir });
    expect(await bad.done, bad.err()).toBe(1);
    expect(bad.out()).toMatch(/FAIL at stage expect-1: failure-pattern: failure pattern 'fail-1' seen after the last stage 'expect-1' \(settle window\): .*No more network devices/);
  }, 240_000);

  it('without --expect, the profile\'s payload marker (the reference report line) is what it waits for, and says so', async () => {
    const c = startBoardkit(['run', '-b', 'x86-kiosk', '-k', IPXE, '--timeout', '25', '--out', join(dir, 'plain')], { tmpDir: dir });
    expect(await c.done, c.err()).toBe(1);
    expect(c.out()).toMatch(/while waiting for stage 'payload' \(\/BOARDKIT stage=payload\/\)/);
  }, 120_000);

  it('an unbounded --expect is a usage error before anything starts', async () => {
    const c = startBoardkit(['run', '-b', 'x86-kiosk', '-k', IPXE, '--expect', 'iPXE.*'], { tmpDir: dir });
    expect(await c.done, c.err()).toBe(2);
    expect(c.err()).toMatch(/--expect 'iPXE\.\*'.*unbounded/);
  });
});
