/**
 * buildPayload: reproducible bytes, clear errors for missing toolchains and impossible driver
 * sets, and no board constant outside the generated sources.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ToolMissingError, UsageError } from '../../src/core/errors.js';
import { buildPayload, defaultBootDir, planPayloadBuild } from '../../src/payload/build-payload.js';
import { findConfigBlock } from '../../src/payload/config-block.js';
import { CONTROLLERS } from '../../src/payload/spec.js';
import type { DriverController, PayloadBuildSpec } from '../../src/payload/spec.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { FakeSpawner } from '../../src/transports/fake/fake-spawner.js';
import { HIFIVE_UNLEASHED, QEMU_AARCH64_VIRT, QEMU_RISCV64_VIRT, RPI3B, X86_KIOSK } from './helpers/boards.js';

const spawner = new NodeSpawner();
const haveRiscv = !!(await spawner.which('riscv64-unknown-elf-gcc'));
const haveA64 = !!(await spawner.which('aarch64-linux-gnu-gcc'));
const haveEfi = !!(await spawner.which('clang')) && !!(await spawner.which('lld-link'));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('buildPayload', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-payload-build-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!haveRiscv)('is reproducible: two builds in different directories give identical bytes', async () => {
    const a = await buildPayload(QEMU_RISCV64_VIRT, { spawner, outDir: join(dir, 'a') });
    const b = await buildPayload(QEMU_RISCV64_VIRT, { spawner, outDir: join(dir, 'second-build') });
    for (const k of ['elf', 'bin'] as const) {
      const x = await readFile(a[k]!.path);
      const y = await readFile(b[k]!.path);
      expect(sha(x)).toBe(sha(y));
      expect(findConfigBlock(x).offset).toBe(a[k]!.configOffset);
    }
    expect(await readFile(a.json, 'utf8')).toBe(await readFile(b.json, 'utf8'));
    // Different specs give different bytes (the address really comes from the spec).
    const moved = await buildPayload({ ...QEMU_RISCV64_VIRT, loadAddress: 0x8040_0000 }, { spawner, outDir: join(dir, 'moved') });
    expect(moved.elf!.sha256).not.toBe(a.elf!.sha256);
    // The flat binary starts at the load address: the config block offset is its link offset.
    const bin = await readFile(a.bin!.path);
    expect(bin.length).toBeLessThan(64 * 1024);
  }, 60_000);

  for (const [name, spec, present] of [
    ['aarch64', RPI3B, haveA64],
    ['x86_64 (PE, /Brepro)', X86_KIOSK, haveEfi],
  ] as const) {
    it.skipIf(!present)(`is reproducible for ${name} too`, async () => {
      const a = await buildPayload(spec, { spawner, outDir: join(dir, `${spec.arch}-1`) });
      const b = await buildPayload(spec, { spawner, outDir: join(dir, `${spec.arch}-two`) });
      expect(a.manifest.files).toEqual(b.manifest.files);
      const file = (a.efi ?? a.bin)!;
      expect(sha(await readFile(file.path))).toBe(file.sha256);
    }, 60_000);
  }

  it('names the Debian package when a cross toolchain is missing', async () => {
    // Nothing on the fake PATH and nothing scripted: a run or spawn would reject, and calls records it.
    const noTools = new FakeSpawner();
    const err = await buildPayload(QEMU_RISCV64_VIRT, { spawner: noTools, outDir: join(dir, 'none') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as ToolMissingError).hint).toContain('gcc-riscv64-unknown-elf');
    const efiSpec: PayloadBuildSpec = { board: 'x86-kiosk', arch: 'x86_64', format: 'efi', loadAddress: 0, console: { type: 'pc-com', base: 0x3f8, baud: 115200 }, drivers: [] };
    const efiErr = await buildPayload(efiSpec, { spawner: noTools, outDir: join(dir, 'none') }).catch((e: unknown) => e);
    expect((efiErr as ToolMissingError).hint).toContain('apt-get install clang');
  });

  it('refuses drivers the payload does not have for the arch, listing every problem', async () => {
    const spec: PayloadBuildSpec = {
      ...QEMU_RISCV64_VIRT,
      drivers: [
        { kind: 'gpio', controller: 'pl061', base: 0x9030000 },
        { kind: 'storage', controller: 'sdhost', base: 0x3f202000 },
        { kind: 'storage', controller: 'virtio-net', base: 0x10001000 },
      ],
    };
    const err = await buildPayload(spec, { spawner, outDir: join(dir, 'bad') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const problems = (err as UsageError).details.problems as string[];
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/no pl061 driver for riscv64 \(it has one for aarch64\)/);
    expect(problems[2]).toMatch(/is a ethernet driver, not storage/);
    await expect(buildPayload({ ...QEMU_RISCV64_VIRT, format: 'efi' }, { spawner, outDir: join(dir, 'bad') })).rejects.toThrow(/format 'efi' is not available for riscv64/);
  });

  it('keeps board constants out of boot/: every base comes from the generated header/table', async () => {
    const boot = defaultBootDir();
    const files = (await readdir(boot, { recursive: true })).filter((f) => /\.(c|h|S)$/.test(f));
    const code = (await Promise.all(files.map((f) => readFile(join(boot, f), 'utf8'))))
      .map((t) => t.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').toLowerCase()) // comments may cite addresses
      .join('\n');
    const specs = [QEMU_RISCV64_VIRT, QEMU_AARCH64_VIRT, RPI3B, HIFIVE_UNLEASHED];
    const bases = new Set(specs.flatMap((s) => [s.console.base, s.loadAddress, ...s.drivers.map((d) => d.base)]));
    for (const b of bases) expect(code, `0x${b.toString(16)} in boot/`).not.toMatch(new RegExp(`0x0*${b.toString(16)}(?![0-9a-f])`));
    const plan = planPayloadBuild(RPI3B, { outDir: join(dir, 'plan') });
    const gen = Object.values(plan.generated).join('\n');
    for (const d of RPI3B.drivers) expect(gen).toContain(`0x${d.base.toString(16)}ull`);
    expect(plan.steps.map((s) => s.tool.tool)).toEqual(['aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-objcopy']);
  });

  for (const [base, present] of [
    [QEMU_RISCV64_VIRT, haveRiscv],
    [RPI3B, haveA64],
    [X86_KIOSK, haveEfi],
  ] as const) {
    it.skipIf(!present)(`compiles and links every ${base.arch} controller it offers`, async () => {
      const drivers = (Object.keys(CONTROLLERS) as DriverController[])
        .filter((c) => CONTROLLERS[c].arches.includes(base.arch) && (CONTROLLERS[c].kind !== 'uart' || c === base.console.type))
        .map((controller) => ({ kind: CONTROLLERS[controller].kind, controller, base: 0x1000_0000 }));
      const built = await buildPayload({ ...base, board: `all-${base.arch.replace("_", "-")}`, drivers }, { spawner, outDir: join(dir, `all-${base.arch}`) });
      expect(built.manifest.sources.length).toBeGreaterThan(5);
    }, 60_000);
  }
});
