import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { judgeReport, parseReportDatagram } from '../../src/netboot/report-listener.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runBoard } from '../../src/workflows/run-board.js';
import { followJsonEvents } from '../helpers/json-events.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * The Ethernet oracle without `run --netboot`: `boardkit netboot serve --qemu-link 0:0 --board B
 * --payload P --json` patches into the payload it serves this run's nonce AND its own address on
 * the link as the report destination; a QEMU board joined to it by the printed `-netdev dgram`
 * link netboots through U-Boot, the payload's NIC driver sends its UDP report to the server, and
 * the server's JSON output carries the verdict (as a `report` event and in the `stopped` summary).
 */
const env = nodeRunEnvironment();
const bin = join(ROOT, 'bin', 'boardkit.js');
let dir: string;
let registry: BoardRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'boardkit-serve-report-'));
  registry = await loadBoards([join(ROOT, 'boards')]);
  await buildBoardPayload(registry, { board: 'qemu-riscv64-virt', outDir: join(dir, 'payload'), drivers: ['uart', 'ethernet'] }, { spawner: env.spawner });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('payload reports received by netboot serve', () => {
  it('parses only the payload report text and judges it against the served nonce', () => {
    const nonce = 'a'.repeat(32);
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(parseReportDatagram(enc(`BOARDKIT nonce=${nonce} board=qemu-riscv64-virt\n`))).toEqual({ nonce, board: 'qemu-riscv64-virt' });
    expect(parseReportDatagram(enc(`BOARDKIT nonce=${nonce.slice(1)} board=x\n`))).toBeUndefined();
    expect(parseReportDatagram(enc('hello'))).toBeUndefined();
    const from = { address: '192.0.2.100', port: 40000 };
    const served = new Map([['qemu-riscv64-virt', nonce]]);
    expect(judgeReport({ nonce, board: 'qemu-riscv64-virt' }, from, served).verdict).toBe('pass');
    expect(judgeReport({ nonce: 'b'.repeat(32), board: 'qemu-riscv64-virt' }, from, served)).toMatchObject({ verdict: 'fail', reason: expect.stringMatching(/not this run's/) });
    expect(judgeReport({ nonce, board: 'rpi4b' }, from, served)).toMatchObject({ verdict: 'fail', reason: expect.stringMatching(/no payload for board 'rpi4b'/) });
  });

  it('a QEMU board on the printed -netdev dgram link netboots; its UDP report reaches the server and the verdict is in --json', async () => {
    const child = spawn(process.execPath, [bin, 'netboot', 'serve', '--dhcp', 'full', '--qemu-link', '0:0', '--board', 'qemu-riscv64-virt', '--payload', join(dir, 'payload'), '--json'], { cwd: ROOT });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      const stream = followJsonEvents(child);
      await stream.waitFor((es) => es.some((e) => e.type === 'dhcp' && e.event.type === 'listening'), 30_000);
      const link = stream.events().find((e) => e.type === 'qemu-link');
      expect(link, stream.stderr()).toBeDefined();
      // The printed netdev is what a user pastes into QEMU; the test's QEMU uses the same ports.
      expect(link!.netdev).toContain(`local.port=${link!.guestPort}`);
      const serving = stream.events().find((e) => e.type === 'serving')!;
      const run = await runBoard(
        registry,
        {
          board: 'qemu-riscv64-virt',
          mode: 'netboot',
          netdev: { id: 'n0', kind: 'dgram', local: { host: '127.0.0.1', port: link!.guestPort }, remote: { host: '127.0.0.1', port: link!.hostPort } },
          drivers: ['uart', 'ethernet'],
          expectedSets: [{ name: 'drivers', items: ['uart', 'ethernet'].map((k) => ({ name: k, pattern: `BOARDKIT driver=${k} status=ok` })), before: 'result' }],
          extraMarkers: [{ stage: 'result', pattern: 'BOARDKIT result=pass', timeoutMs: 30_000 }],
        },
        env,
      );
      expect(run.ok, run.boot.tail.join('\n')).toBe(true);
      expect(run.boot.timeline.find((s) => s.stage === 'payload')?.line).toContain(`nonce=${serving.nonce}`);
      await stream.waitFor((es) => es.some((e) => e.type === 'report'), 10_000);
      const report = stream.events().find((e) => e.type === 'report');
      expect(report, stream.stderr()).toMatchObject({ board: 'qemu-riscv64-virt', nonce: serving.nonce, verdict: 'pass', from: { address: expect.stringMatching(/^192\.0\.2\.\d+$/) } });
      // The source address the server patched is the address DHCP gave this client, so the MAC is known.
      const ack = stream.events().find((e) => e.type === 'dhcp' && e.event.type === 'ack')!;
      expect(report!.from.address).toBe(ack.event.yiaddr);
      expect(report!.mac).toBe(ack.event.mac);
      child.kill('SIGINT');
      await exited;
      const stopped = stream.events().find((e) => e.type === 'stopped');
      expect(stopped?.reports).toEqual([expect.objectContaining({ board: 'qemu-riscv64-virt', verdict: 'pass', nonce: serving.nonce })]);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }, 180_000);
});
