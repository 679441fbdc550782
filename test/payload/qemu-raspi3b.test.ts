/**
 * (c) rpi3b on QEMU raspi3b: mini UART console (serial index 1), BCM2835 GPIO 48-53 routing the
 * SD card, the mailbox property framebuffer and the SDHOST/SDHCI controllers. The GPIO oracle is
 * the card itself: SDHOST only reaches it when the payload's function-select writes moved it
 * there; without those writes the same SDHOST driver fails, while SDHCI (QEMU's reset route)
 * reads it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildPayload } from '../../src/payload/build-payload.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import { checkStorageReport, createFixtureDisk, randomDiskSignature } from '../../src/payload/disk-signature.js';
import { checkFramebufferPattern } from '../../src/payload/fb-pattern.js';
import { checkBootReport, driverReport, parseBootReport } from '../../src/payload/report.js';
import type { PayloadBuildSpec } from '../../src/payload/spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { RPI3B, RPI3B_SDHCI, raspi3bArgs } from './helpers/boards.js';
import { connectQmp } from './helpers/qmp.js';
import { framebufferProven, takeScreendump } from './helpers/oracles.js';
import { QemuSession } from './helpers/qemu-session.js';
import { qemuScratch } from './helpers/scratch.js';

const spawner = new NodeSpawner();
const QEMU = 'qemu-system-aarch64';
const missing = !(await spawner.which(QEMU)) || !(await spawner.which('aarch64-linux-gnu-gcc')) || !(await spawner.which('sfdisk'));

const WITHOUT_GPIO: PayloadBuildSpec = { ...RPI3B, drivers: RPI3B.drivers.filter((d) => d.kind !== 'gpio' && d.kind !== 'framebuffer') };
const SDHCI_DEFAULT_ROUTE: PayloadBuildSpec = { ...RPI3B, drivers: [RPI3B.drivers[0]!, RPI3B_SDHCI] };

describe.skipIf(missing)('payload on QEMU raspi3b', () => {
  const scratch = qemuScratch('bk-payload-pi-');

  async function boot(spec: PayloadBuildSpec, tag: string, screendump = false) {
    const built = await buildPayload(spec, { spawner, outDir: join(scratch.dir, tag) });
    const nonce = newNonce();
    const sig = randomDiskSignature();
    const sd = join(scratch.dir, `${tag}.img`);
    await createFixtureDisk(spawner, sd, 1 << 20, sig); // QEMU wants a power-of-two SD size
    const kernel = join(scratch.dir, `${tag}-kernel8.img`);
    await writeFile(kernel, patchConfigBlock(await readFile(built.bin!.path), { nonce }));
    const qmpSocket = join(scratch.dir, `${tag}.qmp`);
    const s = await QemuSession.start(spawner, QEMU, raspi3bArgs({ kernel, sd, qmpSocket }));
    scratch.sessions.push(s);
    let screen: Uint8Array | undefined;
    try {
      await s.waitFor(/BOARDKIT result=\w+[^\n]{0,200}\n/, 30_000);
      if (screendump) {
        const qmp = await connectQmp(qmpSocket);
        try {
          screen = await takeScreendump(qmp, join(scratch.dir, `${tag}.ppm`)); // a failed screendump fails the test
        } finally {
          qmp.close();
        }
      }
    } finally {
      await s.stop();
    }
    return { report: parseBootReport(s.output), nonce, sig, screen };
  }

  it('routes the card to SDHOST with GPIO 48-53, reads this run’s signature, draws the pattern', async () => {
    const r = await boot(RPI3B, 'real', true);
    checkBootReport(r.report, RPI3B, r.nonce);
    expect(r.report.info['entry-el']).toBe('2'); // QEMU raspi enters at EL2 like the Pi firmware
    expect(driverReport(r.report, 'gpio')?.fields.route).toBe('sdhost');
    checkStorageReport(r.report, r.sig);
    expect(checkFramebufferPattern(r.screen!, r.nonce, { width: 640, height: 480 }).matched).toBe(64);
  }, 60_000);

  it('without the GPIO writes SDHOST cannot reach the card, and SDHCI (reset route) can', async () => {
    const noGpio = await boot(WITHOUT_GPIO, 'nogpio');
    expect(driverReport(noGpio.report, 'storage')?.status).toBe('fail');
    expect(() => checkStorageReport(noGpio.report, noGpio.sig)).toThrow();
    const sdhci = await boot(SDHCI_DEFAULT_ROUTE, 'sdhci');
    checkBootReport(sdhci.report, SDHCI_DEFAULT_ROUTE, sdhci.nonce);
    checkStorageReport(sdhci.report, sdhci.sig);
  }, 60_000);

  it('catches a testOnlyFakeOk payload: no signature, no pattern', async () => {
    const r = await boot({ ...RPI3B, testOnlyFakeOk: true }, 'fake', true);
    checkBootReport(r.report, RPI3B, r.nonce);
    expect(() => checkStorageReport(r.report, r.sig)).toThrow(/the host wrote/);
    expect(framebufferProven(r.screen, r.nonce)).toBe(false); // no screen surface, or not this run's pattern
  }, 60_000);

  it('the console UART is the one the serial map says: mini UART on index 1, PL011 (disable-bt) on index 0', async () => {
    const miniOnly: PayloadBuildSpec = { ...RPI3B, drivers: [RPI3B.drivers[0]!] };
    const pl011: PayloadBuildSpec = {
      ...RPI3B,
      console: { type: 'pl011', base: 0x3f20_1000, baud: 115200 },
      drivers: [{ kind: 'uart', controller: 'pl011', base: 0x3f20_1000 }],
    };
    const run = async (spec: PayloadBuildSpec, tag: string, serial: string[]) => {
      const built = await buildPayload(spec, { spawner, outDir: join(scratch.dir, tag) });
      const kernel = join(scratch.dir, `${tag}-kernel8.img`);
      const nonce = newNonce();
      await writeFile(kernel, patchConfigBlock(await readFile(built.bin!.path), { nonce }));
      const s = await QemuSession.start(spawner, QEMU, ['-M', 'raspi3b', '-nodefaults', '-display', 'none', ...serial, '-kernel', kernel]);
      scratch.sessions.push(s);
      try {
        await s.waitFor(/BOARDKIT result=\w+[^\n]{0,200}\n/, 5_000).catch(() => undefined); // silence is the expected outcome on the wrong port
      } finally {
        await s.stop();
      }
      return { report: parseBootReport(s.output), nonce };
    };
    const onIndex1 = await run(miniOnly, 'mini-1', ['-serial', 'null', '-serial', 'stdio']);
    checkBootReport(onIndex1.report, miniOnly, onIndex1.nonce);
    const onIndex0 = await run(pl011, 'pl011-0', ['-serial', 'stdio', '-serial', 'null']);
    checkBootReport(onIndex0.report, pl011, onIndex0.nonce);
    const wrongPort = await run(miniOnly, 'mini-0', ['-serial', 'stdio', '-serial', 'null']);
    expect(wrongPort.report.lines).toEqual([]); // the mini UART is not on serial index 0
  }, 60_000);
});
