import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelAt, type PpmImage } from '../../src/core/ppm.js';
import { startQemu, type RunningQemu } from '../../src/emulator/qemu-runner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';

const spawner = new NodeSpawner();
const haveX86 = (await spawner.which('qemu-system-x86_64')) !== undefined;
let base: string;
let vm: RunningQemu | undefined;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'bk-screendump-test-'));
});
afterAll(async () => {
  await vm?.shutdown();
  await rm(base, { recursive: true, force: true });
});

describe.skipIf(!haveX86)('screendump', () => {
  it('dumps the VGA screen of an x86 q35 machine (display none) and the PPM decoder reads it', async () => {
    vm = await startQemu(
      // SeaBIOS (QEMU's default -bios) prints its banner in VGA text mode.
      { binary: 'qemu-system-x86_64', machine: 'q35', memory: '64M', devices: ['VGA'], serial: [] },
      { spawner, connectQmp: connectQmpSocket, accel: 'tcg', tmpDir: base, slot: { dir: join(base, 'slots') } },
    );
    await vm.resume();
    // SeaBIOS draws its banner on the VGA console only: poll the screen until something is lit.
    const deadline = Date.now() + 15_000;
    let img = await vm.screendump();
    while (countLit(img) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      img = await vm.screendump();
    }
    // VGA text mode 80x25 with 9x16 glyphs is 720x400 (QEMU hw/display/vga.c); graphics modes are 640x480 and up.
    expect([720, 640, 800, 1024]).toContain(img.width);
    expect(img.height).toBeGreaterThanOrEqual(400);
    expect(img.rgb.length).toBe(img.width * img.height * 3);
    // The banner is light text on black: some pixels are lit, most are not.
    const lit = countLit(img);
    expect(lit).toBeGreaterThan(100);
    expect(lit).toBeLessThan((img.width * img.height) / 2);
    await vm.shutdown();
  }, 30_000);
});

function countLit(img: PpmImage): number {
  let lit = 0;
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (pixelAt(img, x, y).some((c) => c > 100)) lit++;
  return lit;
}
