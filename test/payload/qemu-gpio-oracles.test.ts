/**
 * The GPIO oracles against payloads that skip exactly their GPIO work (`testOnlySkipGpio`): each
 * board's real payload passes its GPIO oracle with this run's secret, and the skipping variant
 * fails that oracle and no other. qemu-aarch64-virt (PL061: register pattern + secret edge
 * count), hifive-unleashed on sifive_u (register pattern read while stopped before the reset
 * pulse; the variant reboots through SBI instead), rpi3b on raspi3b (GPFSEL4/5 must select the
 * run's SD route; the variant is given the SDHCI route, which QEMU's reset state serves, so its
 * storage still reads the card and only the GPIO oracle can catch it).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import type { BoardRegistry } from '../../src/boards/registry.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { runPayload, type PayloadRunReport, type PayloadRunRequest } from '../../src/workflows/payload-run.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

const env = nodeRunEnvironment();
const spawner = env.spawner;
const missing =
  !(await spawner.which('qemu-system-aarch64')) ||
  !(await spawner.which('qemu-system-riscv64')) ||
  !(await spawner.which('aarch64-linux-gnu-gcc')) ||
  !(await spawner.which('riscv64-unknown-elf-gcc')) ||
  !(await spawner.which('sfdisk'));

const verdicts = (r: PayloadRunReport) => Object.fromEntries(r.oracles.map((o) => [`${o.driver}/${o.oracle}`, o.ok]));
const why = (r: PayloadRunReport) => r.oracles.map((o) => `${o.driver}/${o.oracle}: ${o.ok ? 'ok' : 'FAIL'} ${o.detail}`).join('\n') + '\n' + r.boot.tail.join('\n');

describe.skipIf(missing)('GPIO oracles catch a payload that skips its GPIO work', () => {
  let dir: string;
  let registry: BoardRegistry;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'boardkit-gpio-oracles-'));
    registry = await loadBoards([join(ROOT, 'boards')]);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function run(board: string, skip: boolean, extra: Partial<PayloadRunRequest> = {}): Promise<PayloadRunReport> {
    const out = join(dir, `${board}${skip ? '-skip' : ''}`);
    await buildBoardPayload(registry, { board, outDir: out, ...(skip ? { testOnlySkipGpio: true } : {}) }, { spawner });
    return runPayload(registry, { board, kernel: out, ...(skip ? { allowTestOnlyBuild: true } : {}), ...extra }, env);
  }

  /** Every oracle passes except the GPIO one, which fails. */
  function onlyGpioFails(r: PayloadRunReport): void {
    const v = verdicts(r);
    const gpioKey = Object.keys(v).find((k) => k.startsWith('gpio/'))!;
    expect(v[gpioKey], why(r)).toBe(false);
    for (const [k, ok] of Object.entries(v)) if (k !== gpioKey) expect(ok, `${k}\n${why(r)}`).toBe(true);
    expect(r.ok).toBe(false);
  }

  it('qemu-aarch64-virt: the PL061 pattern and the secret edge count prove the driver; skipping fails only gpio', async () => {
    const real = await run('qemu-aarch64-virt', false, { gpioOracle: { edges: 3 } });
    expect(real.oracles.find((o) => o.driver === 'gpio'), why(real)).toMatchObject({ oracle: 'powerdown-edge', ok: true });
    expect(real.oracles.find((o) => o.driver === 'gpio')?.detail).toMatch(/counted the 3 edge/);
    expect(real.ok, why(real)).toBe(true);
    const skip = await run('qemu-aarch64-virt', true);
    onlyGpioFails(skip);
    expect(skip.oracles.find((o) => o.driver === 'gpio')?.detail).toMatch(/GPIODIR reads 0x00/);
  }, 240_000);

  it('hifive-unleashed (sifive_u): pattern read while stopped, then a guest-reset; an SBI reboot instead fails only gpio', async () => {
    const real = await run('hifive-unleashed', false);
    expect(real.oracles.find((o) => o.driver === 'gpio'), why(real)).toMatchObject({ oracle: 'reset-event', ok: true });
    expect(real.ok, why(real)).toBe(true);
    const skip = await run('hifive-unleashed', true);
    onlyGpioFails(skip);
    expect(skip.oracles.find((o) => o.driver === 'gpio')?.detail).toMatch(/output_val\/iof_sel read/);
  }, 240_000);

  it('rpi3b (raspi3b): GPFSEL4/5 select the run’s route and storage used it; skipping fails only gpio', async () => {
    for (const sdRoute of ['sdhost', 'sdhci'] as const) {
      const real = await run('rpi3b', false, { gpioOracle: { sdRoute } });
      expect(real.oracles.find((o) => o.driver === 'gpio'), why(real)).toMatchObject({ oracle: 'sd-route', ok: true });
      expect(real.oracles.find((o) => o.driver === 'gpio')?.detail).toMatch(new RegExp(`read via ${sdRoute}`));
      expect(real.ok, why(real)).toBe(true);
    }
    const skip = await run('rpi3b', true, { gpioOracle: { sdRoute: 'sdhci' } });
    onlyGpioFails(skip);
    expect(skip.oracles.find((o) => o.driver === 'gpio')?.detail).toMatch(/GPIO 48,49,50,51,52,53 select function 0,0,0,0,0,0/);
  }, 240_000);
});

describe.skipIf(missing)('a test-only payload is marked and refused outside the tests', () => {
  let dir: string;
  let registry: BoardRegistry;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'boardkit-fake-ok-'));
    registry = await loadBoards([join(ROOT, 'boards')]);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fake-ok: payload.json and the image say so, and runPayload refuses it with a usage error', async () => {
    const out = join(dir, 'fake');
    const built = await buildBoardPayload(registry, { board: 'qemu-riscv64-virt', drivers: ['uart'], outDir: out, testOnlyFakeOk: true }, { spawner });
    const manifest = JSON.parse(await readFile(join(out, 'payload.json'), 'utf8')) as { testOnly?: string };
    expect(manifest.testOnly).toBe('test-only-fake-ok');
    expect(built.manifest.testOnly).toBe('test-only-fake-ok');
    // Refused whether given the directory or the bare file (the mark is read from the image).
    for (const kernel of [out, built.elf!.path])
      await expect(runPayload(registry, { board: 'qemu-riscv64-virt', kernel }, env)).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/test-only-fake-ok build/) });
    const real = await buildBoardPayload(registry, { board: 'qemu-riscv64-virt', drivers: ['uart'], outDir: join(dir, 'real') }, { spawner });
    expect(real.manifest.testOnly).toBeUndefined();
  }, 120_000);

  it('allowed explicitly, its report line carries build=test-only-fake-ok', async () => {
    const out = join(dir, 'fake2');
    await buildBoardPayload(registry, { board: 'qemu-riscv64-virt', drivers: ['uart'], outDir: out, testOnlyFakeOk: true }, { spawner });
    const r = await runPayload(registry, { board: 'qemu-riscv64-virt', kernel: out, allowTestOnlyBuild: true }, env);
    expect(r.boot.tail.join('\n')).toMatch(/BOARDKIT stage=payload board=qemu-riscv64-virt nonce=[0-9a-f]{32} build=test-only-fake-ok/);
  }, 120_000);
});

describe.skipIf(missing)('sifive-gpio: a pulse that changes nothing fails the run', () => {
  let dir: string;
  let registry: BoardRegistry;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'boardkit-gpio-noeffect-'));
    await writeFile(
      join(dir, 'hifive-gpio9.yaml'),
      [
        '# hifive-unleashed driving GPIO 9, which QEMU sifive_u wires to nothing',
        'id: hifive-gpio9',
        'extends: hifive-unleashed',
        'drivers:',
        '  gpio:',
        '    controllers:',
        "      - { name: sifive-gpio, compatible: 'sifive,gpio0', base: 0x10060000, size: 0x1000, params: { line: 9, oracle: reset-event } }",
        '',
      ].join('\n'),
    );
    registry = await loadBoards([join(ROOT, 'boards'), dir]);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the payload says gpio=no-effect and result=fail after its pulse, and the gpio oracle fails on it', async () => {
    const out = join(dir, 'p');
    await buildBoardPayload(registry, { board: 'hifive-gpio9', outDir: out }, { spawner });
    const r = await runPayload(registry, { board: 'hifive-gpio9', kernel: out }, env);
    const gpio = r.oracles.find((o) => o.driver === 'gpio');
    expect(gpio, why(r)).toMatchObject({ oracle: 'reset-event', ok: false });
    expect(gpio?.detail).toMatch(/gpio=no-effect/);
    expect(r.ok).toBe(false);
    const tail = r.boot.tail.join('\n');
    expect(tail).toMatch(/BOARDKIT gpio=armed line=9[\s\S]*BOARDKIT gpio=no-effect status=fail\s+BOARDKIT result=fail/);
  }, 120_000);
});
