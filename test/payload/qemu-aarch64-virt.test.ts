/**
 * (b) qemu-aarch64-virt: PL011 console, PL061 GPIO (power button edge), ramfb framebuffer,
 * virtio-blk and virtio-net. Oracles: QMP system_powerdown after the payload waits, a QMP
 * screendump against the nonce pattern, the sfdisk-written disk signature, the dgram frame.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildPayload } from '../../src/payload/build-payload.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import { checkStorageReport, createFixtureDisk, randomDiskSignature } from '../../src/payload/disk-signature.js';
import { checkFramebufferPattern } from '../../src/payload/fb-pattern.js';
import { checkGpioEdgeAfterTrigger } from '../../src/payload/gpio-oracle.js';
import { checkBootReport, nonceHex, parseBootReport } from '../../src/payload/report.js';
import { checkEthernetFrames } from '../../src/payload/udp-report.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { QEMU_AARCH64_VIRT, aarch64VirtArgs } from './helpers/boards.js';
import { connectQmp } from './helpers/qmp.js';
import { framebufferProven, takeScreendump } from './helpers/oracles.js';
import { QemuSession } from './helpers/qemu-session.js';
import { openUdpSink } from './helpers/udp-sink.js';

const spawner = new NodeSpawner();
const QEMU = 'qemu-system-aarch64';
const missing = !(await spawner.which(QEMU)) || !(await spawner.which('aarch64-linux-gnu-gcc')) || !(await spawner.which('sfdisk'));
const MAC = '52:54:00:12:34:56';

describe.skipIf(missing)('payload on qemu-aarch64-virt', () => {
  let dir: string;
  let elf: string;
  let fakeElf: string;
  const sessions: QemuSession[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-payload-a64-'));
    elf = (await buildPayload(QEMU_AARCH64_VIRT, { spawner, outDir: join(dir, 'real') })).elf!.path;
    fakeElf = (await buildPayload({ ...QEMU_AARCH64_VIRT, testOnlyFakeOk: true }, { spawner, outDir: join(dir, 'fake') })).elf!.path;
  }, 60_000);

  afterAll(async () => {
    for (const s of sessions) await s.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function boot(image: string, tag: string) {
    const nonce = newNonce();
    const sig = randomDiskSignature();
    const disk = join(dir, `${tag}.img`);
    await createFixtureDisk(spawner, disk, 1 << 20, sig);
    const sink = await openUdpSink();
    const kernel = join(dir, `${tag}.elf`);
    const qmpSocket = join(dir, `${tag}.qmp`);
    await writeFile(
      kernel,
      patchConfigBlock(await readFile(image), { nonce, mac: MAC, ip: '10.0.2.15', peerIp: '255.255.255.255', srcPort: 40000, peerPort: sink.port, gpioWaitMs: 20_000 }),
    );
    const s = await QemuSession.start(spawner, QEMU, aarch64VirtArgs({ kernel, disk, dgram: { localPort: sink.guestPort, remotePort: sink.port }, qmpSocket }));
    sessions.push(s);
    const qmp = await connectQmp(qmpSocket);
    let screen: Uint8Array | undefined;
    let triggeredAt = -1;
    try {
      // The real driver announces that it waits; the fake one races straight to its result.
      // The whole line: the oracle reads the line number, so a half-received line is not yet the announcement.
      await s.waitFor(/BOARDKIT (gpio=waiting line=\d+ timeout-ms=\d+\r?\n|result=)/, 30_000);
      triggeredAt = s.output.length;
      await qmp.execute('system_powerdown');
      await s.waitFor(/BOARDKIT result=\w+[^\n]{0,200}\n/, 30_000);
      screen = await takeScreendump(qmp, join(dir, `${tag}.ppm`)); // a failed screendump fails the test
    } finally {
      qmp.close();
      await s.stop();
      await sink.close();
    }
    return { output: s.output, report: parseBootReport(s.output), frames: sink.frames, nonce, sig, peerPort: sink.port, screen, triggeredAt };
  }

  it('proves every driver with a host oracle', async () => {
    const r = await boot(elf, 'real');
    checkBootReport(r.report, QEMU_AARCH64_VIRT, r.nonce);
    expect(r.report.info['entry-el']).toBe('1');
    checkGpioEdgeAfterTrigger(r.output, r.triggeredAt);
    checkStorageReport(r.report, r.sig);
    checkEthernetFrames(r.frames, { nonce: nonceHex(r.nonce), board: QEMU_AARCH64_VIRT.board, mac: MAC, peerPort: r.peerPort });
    expect(r.screen).toBeDefined();
    expect(checkFramebufferPattern(r.screen!, r.nonce, { width: 640, height: 480 }).matched).toBe(64);
  }, 90_000);

  it('catches a testOnlyFakeOk payload with every oracle', async () => {
    const r = await boot(fakeElf, 'fake');
    checkBootReport(r.report, QEMU_AARCH64_VIRT, r.nonce);
    expect(() => checkGpioEdgeAfterTrigger(r.output, r.triggeredAt)).toThrow(/did not announce gpio=waiting|before the host caused/);
    expect(() => checkStorageReport(r.report, r.sig)).toThrow(/the host wrote/);
    expect(() => checkEthernetFrames(r.frames, { nonce: nonceHex(r.nonce), board: QEMU_AARCH64_VIRT.board, mac: MAC, peerPort: r.peerPort })).toThrow(/no broadcast/);
    expect(framebufferProven(r.screen, r.nonce)).toBe(false); // no screen surface, or not this run's pattern
  }, 90_000);
});
