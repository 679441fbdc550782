import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { defaultCacheDir } from '../../src/core/cache-dir.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { openNodeSerialLink } from '../../src/transports/node/open-serial-link.js';
import { openQemuDgramFrameLink } from '../../src/transports/node/qemu-dgram-frame-link.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';
import { UdpDatagramNetwork } from '../../src/transports/node/udp-datagram-link.js';
import { netbootServe, parseClients, type NetbootServeEvent } from '../../src/workflows/netboot-serve.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runBoard } from '../../src/workflows/run-board.js';

/**
 * `netboot serve` with generated board files on a QEMU `-netdev dgram` link (userspace stack, no
 * root): full DHCP, per-client boot files chosen by MAC (`--clients MAC=board`), and the payload the
 * server patched is the one that runs (its nonce on the console).
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const spawner = new NodeSpawner();
const env = { spawner, connectQmp: connectQmpSocket, openLink: openNodeSerialLink, cacheDir: defaultCacheDir(), manifestDir: join(ROOT, 'firmware-manifests') };
const QEMU_MAC = '52:54:00:12:34:56'; // QEMU's default MAC for the first NIC

let dir: string;
let registry: BoardRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-netboot-serve-'));
  registry = await loadBoards([join(ROOT, 'boards')]);
  for (const board of ['qemu-riscv64-virt', 'qemu-aarch64-virt']) {
    await buildBoardPayload(registry, { board, outDir: join(dir, board), drivers: ['uart'] }, { spawner });
  }
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('netboot serve options', () => {
  it('parses --clients and refuses what cannot work, with hints', async () => {
    expect(parseClients('52-54-00-AA-BB-CC=qemu-riscv64-virt, 02:00:00:00:00:01=rpi3b')).toEqual([
      { mac: '52:54:00:aa:bb:cc', board: 'qemu-riscv64-virt' },
      { mac: '02:00:00:00:00:01', board: 'rpi3b' },
    ]);
    expect(() => parseClients('qemu-riscv64-virt')).toThrow(/is not MAC=board/);
    const network = new UdpDatagramNetwork();
    await expect(netbootServe({ network, root: dir, dhcp: 'full' })).rejects.toThrow(/needs the lab network/);
    await expect(netbootServe({ network, payload: dir })).rejects.toThrow(/--payload needs --board/);
    await expect(netbootServe({ network, board: 'rpi3b', payload: join(dir, 'qemu-riscv64-virt'), registry })).rejects.toThrow(/no payload for 'rpi3b'|firmware chain/);
  });
});

describe('netboot serve on a QEMU dgram link', () => {
  it('--clients MAC=qemu-aarch64-virt: that client gets the aarch64 boot files and runs the patched payload', async () => {
    const events: NetbootServeEvent[] = [];
    const abort = new AbortController();
    let link: { hostPort: number; guestPort: number } | undefined;
    const serving = netbootServe({
      network: new UdpDatagramNetwork(),
      dhcp: 'full',
      qemuLink: '0:0',
      // Two boards' payloads in one directory: the MAC decides which one this client gets.
      clients: `${QEMU_MAC}=qemu-aarch64-virt`,
      payload: dir,
      registry,
      openQemuLink: (p) => openQemuDgramFrameLink(p),
      signal: abort.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'qemu-link') link = e;
      },
    });
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.type === 'dhcp' && e.event.type === 'listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(link).toBeDefined();
    try {
      const run = await runBoard(
        registry,
        {
          board: 'qemu-aarch64-virt',
          mode: 'netboot',
          netdev: { id: 'n0', kind: 'dgram', local: { host: '127.0.0.1', port: link!.guestPort }, remote: { host: '127.0.0.1', port: link!.hostPort } },
          drivers: ['uart'],
          extraMarkers: [{ stage: 'result', pattern: 'BOARDKIT result=pass', timeoutMs: 30_000 }],
        },
        env,
      );
      expect(run.ok, run.boot.tail.join('\n')).toBe(true);
      const served = events.find((e) => e.type === 'serving');
      expect(served?.type === 'serving' && served.clients).toEqual([QEMU_MAC]);
      const nonce = served?.type === 'serving' ? served.nonce : undefined;
      expect(run.boot.timeline.find((s) => s.stage === 'payload')?.line).toContain(`board=qemu-aarch64-virt nonce=${nonce}`);
      expect(events.some((e) => e.type === 'dhcp' && e.event.type === 'ack' && e.event.mac === QEMU_MAC && e.event.bootfile === 'boot.scr.uimg')).toBe(true);
      expect(events.filter((e) => e.type === 'transfer-done').map((e) => (e.type === 'transfer-done' ? e.transfer.file : ''))).toEqual(['boot.scr.uimg', 'payload.uimg']);
    } finally {
      abort.abort();
    }
    const summary = await serving;
    expect(summary.transfers).toBe(2);
    expect(summary.leases).toBe(1);
  }, 120_000);
});
