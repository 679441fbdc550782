import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import type { ChildHandle, Spawner } from '../../src/transports/spawner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runBoard } from '../../src/workflows/run-board.js';
import { followJsonEvents } from '../helpers/json-events.js';
import { ipRunner, netnsSkipReason, qemuInNamespace } from '../helpers/netns.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * proxyDHCP on a shared lab LAN: dnsmasq (an independent DHCP server, in its own namespace) hands
 * out the address; `boardkit netboot serve --dhcp proxy` answers only with boot information
 * (yiaddr 0, PXEClient) and serves the file. OVMF's PXE client combines both offers and boots the
 * x86-kiosk EFI payload the server patched. Topology, all inside namespaces the test creates:
 *   ns A: br0 192.0.2.1/24 ⟵ tap (QEMU) + veth ⟶ ns B: 192.0.2.2/24 (dnsmasq, pool .50–.60)
 */
const bin = join(ROOT, 'bin', 'boardkit.js');
const spawner = new NodeSpawner();
const A = `bk-pxa-${process.pid}`;
const B = `bk-pxb-${process.pid}`;
const TAP = `bkpt${process.pid % 100000}`;

async function skipReason(): Promise<string | undefined> {
  const common = netnsSkipReason();
  if (common) return common;
  if (!(await spawner.which('dnsmasq'))) return 'dnsmasq (the independent address server) is not installed';
  return undefined;
}
const skip = await skipReason();

describe.skipIf(skip !== undefined)(`proxyDHCP beside dnsmasq, OVMF PXE${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let registry: BoardRegistry;
  const children: ChildHandle[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'boardkit-netns-proxy-'));
    registry = await loadBoards([join(ROOT, 'boards')]);
    await buildBoardPayload(registry, { board: 'x86-kiosk', outDir: join(dir, 'payload'), drivers: ['uart'] }, { spawner });
    const ip = ipRunner(spawner);
    await ip('netns', 'add', A);
    await ip('netns', 'add', B);
    for (const ns of [A, B]) await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', A, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', A, 'addr', 'add', '192.0.2.1/24', 'dev', 'br0');
    await ip('-n', A, 'link', 'set', 'br0', 'up');
    await ip('-n', A, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    await ip('-n', A, 'link', 'set', TAP, 'master', 'br0');
    await ip('-n', A, 'link', 'set', TAP, 'up');
    await ip('-n', A, 'link', 'add', 'vA', 'type', 'veth', 'peer', 'name', 'vB', 'netns', B);
    await ip('-n', A, 'link', 'set', 'vA', 'master', 'br0');
    await ip('-n', A, 'link', 'set', 'vA', 'up');
    await ip('-n', B, 'addr', 'add', '192.0.2.2/24', 'dev', 'vB');
    await ip('-n', B, 'link', 'set', 'vB', 'up');
  }, 120_000);
  afterAll(async () => {
    for (const c of children) {
      c.kill('SIGKILL');
      await c.exited;
    }
    for (const ns of [A, B]) await spawner.run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('dnsmasq gives the address, our proxy the boot file; the patched EFI payload runs', async () => {
    const dnsmasq = await spawner.spawn('ip', ['netns', 'exec', B, 'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', '--interface=vB', '--bind-interfaces', '--dhcp-range=192.0.2.50,192.0.2.60,255.255.255.0,1h', '--leasefile-ro', '--log-dhcp']);
    children.push(dnsmasq);
    const server = await spawner.spawn('ip', ['netns', 'exec', A, process.execPath, bin, 'netboot', 'serve', '--dhcp', 'proxy', '--interface', 'br0', '--board', 'x86-kiosk', '--payload', join(dir, 'payload'), '--json']);
    children.push(server);
    const stream = followJsonEvents(server);
    const events = stream.events;
    await stream.waitFor((es) => es.filter((e) => e.type === 'dhcp' && e.event.type === 'listening').length >= 2);
    expect(events().filter((e) => e.type === 'dhcp' && e.event.type === 'listening').map((e) => e.event.address.port), stream.stderr()).toEqual([67, 4011]);
    const serving = events().find((e) => e.type === 'serving')!;
    expect(serving.flow).toBe('pxe');

    const env = { ...nodeRunEnvironment(), spawner: qemuInNamespace(spawner, A) };
    const run = await runBoard(
      registry,
      {
        board: 'x86-kiosk',
        mode: 'netboot',
        netdev: { id: 'n0', kind: 'tap', ifname: TAP },
        drivers: ['uart'],
        extraMarkers: [{ stage: 'result', pattern: 'BOARDKIT result=pass', timeoutMs: 30_000 }],
      },
      env,
    );
    server.kill('SIGINT');
    await server.exited;
    expect(run.ok, run.boot.tail.join('\n')).toBe(true);
    expect(run.boot.timeline.find((s) => s.stage === 'payload')?.line).toContain(`nonce=${serving.nonce}`);
    // Our offers carry no address (proxy): the station address came from dnsmasq's pool.
    const offers = events().filter((e) => e.type === 'dhcp' && e.event.type === 'offer');
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.every((e) => e.event.yiaddr === '0.0.0.0' && e.event.bootfile === 'bootx64.efi')).toBe(true);
    const done = events().filter((e) => e.type === 'transfer-done');
    expect(done.map((e) => e.transfer.file)).toEqual(['bootx64.efi']);
    expect(done[0]!.transfer.client.address).toMatch(/^192\.0\.2\.(5\d|60)$/);
  }, 180_000);
});
