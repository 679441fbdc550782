import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { planLabInterface } from '../../src/netboot/lab-interface.js';
import type { ChildHandle, Spawner } from '../../src/transports/spawner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runBoard } from '../../src/workflows/run-board.js';
import { followJsonEvents } from '../helpers/json-events.js';
import { ipRunner, netnsSkipReason, qemuInNamespace } from '../helpers/netns.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * The real-NIC route of docs/netboot-facts.md §5: `boardkit netboot serve --dhcp full --interface IF` on kernel
 * sockets, inside a network namespace the test creates, where IF (a tap, 192.0.2.1/24) is the
 * only NIC. QEMU runs in the same namespace on that tap; U-Boot DHCPs, fetches the generated boot
 * script and the payload, and the payload reports the nonce the server patched in. No traffic
 * leaves the namespace; every process is stopped by PID; the namespace is deleted afterwards.
 */
const bin = join(ROOT, 'bin', 'boardkit.js');
const spawner = new NodeSpawner();
const NS = `bk-test-${process.pid}`;
const TAP = `bktap${process.pid % 100000}`;

const skip = netnsSkipReason();

describe('lab interface checks (pure)', () => {
  const lab = { name: 'tap0', ipv4: [{ address: '192.0.2.1', netmask: '255.255.255.0' }], loopback: false, defaultRoute: false };
  const lo = { name: 'lo', ipv4: [{ address: '127.0.0.1', netmask: '255.0.0.0' }], loopback: true, defaultRoute: false };
  it('plans the server address and a pool from the interface subnet', () => {
    expect(planLabInterface([lo, lab], 'tap0', { dhcp: 'full' })).toEqual({ interface: 'tap0', serverIp: '192.0.2.1', subnetMask: '255.255.255.0', pool: { first: '192.0.2.128', last: '192.0.2.227' } });
  });
  it('refuses full DHCP on the default-route interface unless forced; proxy is allowed', () => {
    const office = { ...lab, name: 'eth0', defaultRoute: true };
    expect(() => planLabInterface([lo, office], 'eth0', { dhcp: 'full' })).toThrow(/carries the default route/);
    expect(planLabInterface([lo, office], 'eth0', { dhcp: 'full', force: true }).serverIp).toBe('192.0.2.1');
    expect(planLabInterface([lo, office], 'eth0', { dhcp: 'proxy' }).serverIp).toBe('192.0.2.1');
  });
  it('refuses DHCP where other NICs would hear it, and names missing interfaces', () => {
    const other = { ...lab, name: 'eth1', ipv4: [{ address: '10.1.1.1', netmask: '255.255.0.0' }] };
    expect(() => planLabInterface([lo, lab, other], 'tap0', { dhcp: 'full' })).toThrow(/other interfaces have addresses here \(eth1\)/);
    expect(() => planLabInterface([lo, lab], 'tap9', { dhcp: 'full' })).toThrow(/no interface 'tap9'/);
  });
});

describe.skipIf(skip !== undefined)(`netboot serve in a network namespace on a tap${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let registry: BoardRegistry;
  const children: ChildHandle[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'boardkit-netns-'));
    registry = await loadBoards([join(ROOT, 'boards')]);
    await buildBoardPayload(registry, { board: 'qemu-riscv64-virt', outDir: join(dir, 'payload'), drivers: ['uart', 'ethernet'] }, { spawner });
    const ip = ipRunner(spawner);
    await ip('netns', 'add', NS);
    await ip('-n', NS, 'link', 'set', 'lo', 'up');
    await ip('-n', NS, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    await ip('-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', TAP);
    await ip('-n', NS, 'link', 'set', TAP, 'up');
  }, 120_000);
  afterAll(async () => {
    for (const c of children) {
      c.kill('SIGKILL');
      await c.exited;
    }
    await spawner.run('ip', ['netns', 'del', NS], { timeoutMs: 10_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('U-Boot netboots the payload from our DHCP + TFTP on kernel sockets inside the namespace', async () => {
    const server = await spawner.spawn('ip', ['netns', 'exec', NS, process.execPath, bin, 'netboot', 'serve', '--dhcp', 'full', '--interface', TAP, '--board', 'qemu-riscv64-virt', '--payload', join(dir, 'payload'), '--json']);
    children.push(server);
    const stream = followJsonEvents(server);
    const events = stream.events;
    await stream.waitFor((es) => es.some((e) => e.type === 'dhcp' && e.event.type === 'listening'));
    expect(events().some((e) => e.type === 'dhcp' && e.event.type === 'listening'), stream.stderr()).toBe(true);
    const serving = events().find((e) => e.type === 'serving')!;
    expect(serving.flow).toBe('uboot-script');

    const env = { ...nodeRunEnvironment(), spawner: qemuInNamespace(spawner, NS) };
    const run = await runBoard(
      registry,
      {
        board: 'qemu-riscv64-virt',
        mode: 'netboot',
        netdev: { id: 'n0', kind: 'tap', ifname: TAP },
        drivers: ['uart', 'ethernet'],
        expectedSets: [{ name: 'drivers', items: ['uart', 'ethernet'].map((k) => ({ name: k, pattern: `BOARDKIT driver=${k} status=ok` })), before: 'result' }],
        extraMarkers: [{ stage: 'result', pattern: 'BOARDKIT result=', timeoutMs: 30_000 }],
      },
      env,
    );
    // The payload's UDP report went to the server's address on the lab NIC (patched in by the server): kernel sockets receive it.
    await stream.waitFor((es) => es.some((e) => e.type === 'report'), 10_000);
    server.kill('SIGINT');
    await server.exited;
    expect(run.ok, run.boot.tail.join('\n')).toBe(true);
    expect(events().find((e) => e.type === 'report'), stream.stderr()).toMatchObject({ board: 'qemu-riscv64-virt', nonce: serving.nonce, verdict: 'pass' });
    expect(events().find((e) => e.type === 'stopped')?.reports).toHaveLength(1);
    // The payload that ran is the one this server patched: its nonce came over our TFTP.
    const stage = run.boot.timeline.find((s) => s.stage === 'payload')?.line ?? '';
    expect(stage).toContain(`nonce=${serving.nonce}`);
    const all = events();
    expect(all.some((e) => e.type === 'dhcp' && e.event.type === 'ack' && e.event.bootfile === 'boot.scr.uimg')).toBe(true);
    expect(all.filter((e) => e.type === 'transfer-done').map((e) => e.transfer.file)).toEqual(['boot.scr.uimg', 'payload.uimg']);
  }, 120_000);
});
