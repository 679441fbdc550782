import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runPayload } from '../../src/workflows/payload-run.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * x86-kiosk under OVMF PXE-boots the EFI reference payload from our DHCP (option 93 = 7 →
 * bootx64.efi, from the profile's netboot data) and TFTP over the userspace stack: OVMF's own
 * VirtioNetDxe on the profile's netboot NIC (virtio-net-pci without QEMU's iPXE ROM). Passes only
 * when the payload's report is complete and the framebuffer screendump matches this run's nonce.
 */
const env = nodeRunEnvironment();
const spawner = env.spawner;

let dir: string;
let registry: BoardRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-pxe-x86-'));
  registry = await loadBoards([join(ROOT, 'boards')]);
  await buildBoardPayload(registry, { board: 'x86-kiosk', outDir: dir }, { spawner });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('x86-kiosk: OVMF PXE boot through our DHCP + TFTP', () => {
  it('the EFI payload boots via PXE and its report passes (uart + framebuffer oracle)', async () => {
    const events: ProgressEvent[] = [];
    const r = await runPayload(registry, { board: 'x86-kiosk', kernel: dir, netboot: true }, env, { progress: (e) => events.push(e) });
    const failed = r.oracles.filter((o) => !o.ok).map((o) => `${o.driver}/${o.oracle}: ${o.detail}`);
    expect(failed, r.boot.tail.join('\n')).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.oracles.map((o) => o.oracle)).toEqual(expect.arrayContaining(['nonce', 'screendump-pattern']));

    // The firmware's PXE client asked as x64 UEFI (RFC 4578 option 93 = 7 in option 60's text too)
    // and our server answered with the profile's boot file.
    const dhcp = events.filter((e) => e.source === 'dhcp').map((e) => e.data as { type: string; vendorClass?: string; bootfile?: string });
    expect(dhcp.some((d) => d.type === 'received' && d.vendorClass?.startsWith('PXEClient:Arch:00007'))).toBe(true);
    expect(dhcp.some((d) => d.type === 'ack' && d.bootfile === 'bootx64.efi')).toBe(true);
    expect(r.boot.timeline.find((s) => s.stage === 'uefi')?.line ?? '').toMatch(/UEFI PXEv4/);

    // The boot file IS the payload (no loader script), patched with this run's nonce.
    const t = r.netboot?.transfers.find((x) => x.file === 'bootx64.efi');
    expect(t).toBeDefined();
    const efi = await readFile(join(dir, 'BOOTX64.EFI'));
    expect(t!.bytes).toBe(efi.length);
    expect(r.netboot?.files).toEqual(['bootx64.efi']);
  }, 180_000);
});
