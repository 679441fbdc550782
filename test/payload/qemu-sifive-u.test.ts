/**
 * (d) hifive-unleashed on QEMU sifive_u: SiFive UART console and the SiFive GPIO. The GPIO
 * oracle is the board's wiring: GPIO 10 is the active-low reset line, so the payload's low pulse
 * must produce a QMP RESET event; a payload that only claims to drive it produces none.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildPayload } from '../../src/payload/build-payload.js';
import { newNonce, patchConfigBlock } from '../../src/payload/config-block.js';
import { checkResetAfterGpio } from '../../src/payload/gpio-oracle.js';
import { checkBootReport, parseBootReport } from '../../src/payload/report.js';
import type { PayloadBuildSpec } from '../../src/payload/spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { HIFIVE_UNLEASHED, sifiveUArgs } from './helpers/boards.js';
import { connectQmp } from './helpers/qmp.js';
import { QemuSession } from './helpers/qemu-session.js';
import { qemuScratch } from './helpers/scratch.js';

const spawner = new NodeSpawner();
const QEMU = 'qemu-system-riscv64';
const missing = !(await spawner.which(QEMU)) || !(await spawner.which('riscv64-unknown-elf-gcc'));

describe.skipIf(missing)('payload on QEMU sifive_u', () => {
  const scratch = qemuScratch('bk-payload-su-');

  async function boot(spec: PayloadBuildSpec, tag: string) {
    const built = await buildPayload(spec, { spawner, outDir: join(scratch.dir, tag) });
    const nonce = newNonce();
    const kernel = join(scratch.dir, `${tag}.elf`);
    await writeFile(kernel, patchConfigBlock(await readFile(built.elf!.path), { nonce }));
    const qmpSocket = join(scratch.dir, `${tag}.qmp`);
    const serialFile = join(scratch.dir, `${tag}.serial`);
    const s = await QemuSession.start(spawner, QEMU, sifiveUArgs({ kernel, qmpSocket, serialFile }), { serialFile });
    scratch.sessions.push(s);
    const qmp = await connectQmp(qmpSocket);
    let output: string;
    try {
      await s.waitFor(/BOARDKIT result=\w+[^\n]{0,200}\n/, 30_000);
      output = s.output; // the first report, before any reset reruns the payload
      await qmp.waitEvent('RESET', 5_000).catch(() => undefined);
    } finally {
      qmp.close();
      await s.stop();
    }
    return { output, report: parseBootReport(output), nonce, events: qmp.events };
  }

  it('pulses GPIO 10 after its report and the SoC resets (QMP RESET)', async () => {
    const r = await boot(HIFIVE_UNLEASHED, 'real');
    checkBootReport(r.report, HIFIVE_UNLEASHED, r.nonce);
    expect(r.report.info.hart).not.toBe('0'); // hart 0 is the E51 monitor core without S-mode
    checkResetAfterGpio(r.output, r.events);
  }, 60_000);

  it('catches a testOnlyFakeOk payload: ok line, no reset', async () => {
    const r = await boot({ ...HIFIVE_UNLEASHED, testOnlyFakeOk: true }, 'fake');
    checkBootReport(r.report, HIFIVE_UNLEASHED, r.nonce);
    expect(r.events.map((e) => e.event)).not.toContain('RESET');
    expect(() => checkResetAfterGpio(r.output, r.events)).toThrow(/no QMP RESET/);
  }, 60_000);
});
