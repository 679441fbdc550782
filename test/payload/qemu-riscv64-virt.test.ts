/**
 * (a) qemu-riscv64-virt: NS16550A console, virtio-blk and virtio-net over virtio-mmio (legacy and
 * modern transports), each proven by a host oracle: the disk signature sfdisk wrote for this run,
 * and the broadcast UDP frame QEMU's dgram netdev delivers to a loopback socket.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildPayload } from '../../src/payload/build-payload.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import { checkStorageReport, createFixtureDisk, randomDiskSignature } from '../../src/payload/disk-signature.js';
import { checkBootReport, checkReportNonce, nonceHex, parseBootReport } from '../../src/payload/report.js';
import type { BootReport } from '../../src/payload/report.js';
import { checkEthernetFrames } from '../../src/payload/udp-report.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { QEMU_RISCV64_VIRT, riscvVirtArgs } from './helpers/boards.js';
import { QemuSession } from './helpers/qemu-session.js';
import { openUdpSink } from './helpers/udp-sink.js';

const spawner = new NodeSpawner();
const QEMU = 'qemu-system-riscv64';
const missing = !(await spawner.which(QEMU)) || !(await spawner.which('riscv64-unknown-elf-gcc')) || !(await spawner.which('sfdisk'));
const MAC = '52:54:00:12:34:56';

interface BootOutcome {
  report: BootReport;
  frames: Uint8Array[];
  nonce: Uint8Array;
  sig: number;
  peerPort: number;
}

describe.skipIf(missing)('payload on qemu-riscv64-virt', () => {
  let dir: string;
  let elf: string;
  let fakeElf: string;
  const sessions: QemuSession[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-payload-rv-'));
    elf = (await buildPayload(QEMU_RISCV64_VIRT, { spawner, outDir: join(dir, 'real') })).elf!.path;
    fakeElf = (await buildPayload({ ...QEMU_RISCV64_VIRT, testOnlyFakeOk: true }, { spawner, outDir: join(dir, 'fake') })).elf!.path;
  }, 60_000);

  afterAll(async () => {
    for (const s of sessions) await s.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function boot(image: string, modernVirtio: boolean, tag: string): Promise<BootOutcome> {
    const nonce = newNonce();
    const sig = randomDiskSignature();
    const disk = join(dir, `${tag}.img`);
    await createFixtureDisk(spawner, disk, 1 << 20, sig);
    const sink = await openUdpSink();
    const kernel = join(dir, `${tag}.elf`);
    await writeFile(
      kernel,
      patchConfigBlock(await readFile(image), { nonce, mac: MAC, ip: '10.0.2.15', peerIp: '255.255.255.255', srcPort: 40000, peerPort: sink.port, poweroff: true }),
    );
    const s = await QemuSession.start(spawner, QEMU, riscvVirtArgs({ kernel, disk, dgram: { localPort: sink.guestPort, remotePort: sink.port }, modernVirtio }));
    sessions.push(s);
    try {
      await s.waitFor(/BOARDKIT result=\w+[^\n]{0,200}\n/, 30_000);
      // poweroff flag: the payload asks OpenSBI for SRST shutdown, so QEMU exits by itself.
      expect(await s.waitExit(10_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 100)); // let the last datagram drain
    } finally {
      await s.stop();
      await sink.close();
    }
    return { report: parseBootReport(s.output), frames: sink.frames, nonce, sig, peerPort: sink.port };
  }

  it.each([
    ['legacy (QEMU 7.2 default)', false],
    ['modern (force-legacy=false)', true],
  ])('reports this run’s disk signature and sends the nonce frame over a %s virtio-mmio transport', async (_name, modern) => {
    const { report, frames, nonce, sig, peerPort } = await boot(elf, modern, modern ? 'modern' : 'legacy');
    checkBootReport(report, QEMU_RISCV64_VIRT, nonce);
    expect(report.drivers.find((d) => d.kind === 'storage')?.fields.transport).toBe(modern ? 'modern' : 'legacy');
    checkStorageReport(report, sig);
    const frame = checkEthernetFrames(frames, { nonce: nonceHex(nonce), board: QEMU_RISCV64_VIRT.board, mac: MAC, peerPort });
    expect(frame.srcIp).toBe('10.0.2.15');
    expect(frame.dstIp).toBe('255.255.255.255');
    expect(frame.srcPort).toBe(40000);
    // A report from this boot cannot pass for another run's nonce.
    expect(() => checkReportNonce(report, newNonce())).toThrow(/stale nonce/);
  }, 60_000);

  it('catches a testOnlyFakeOk payload: every line says ok, but no signature and no frame', async () => {
    const { report, frames, nonce, sig, peerPort } = await boot(fakeElf, false, 'fake');
    checkBootReport(report, QEMU_RISCV64_VIRT, nonce); // the lie is self-consistent...
    expect(() => checkStorageReport(report, sig)).toThrow(/the host wrote/); // ...the oracles are not fooled
    expect(() => checkEthernetFrames(frames, { nonce: nonceHex(nonce), board: QEMU_RISCV64_VIRT.board, mac: MAC, peerPort })).toThrow(/no broadcast UDP report frame/);
    expect(frames).toHaveLength(0);
  }, 60_000);
});
