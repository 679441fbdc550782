/**
 * Builds the reference payload (boot/) for one PayloadBuildSpec with the Debian cross toolchains,
 * through the injected Spawner. Reproducible: generated inputs are pure functions of the spec,
 * sources are passed sorted, path prefixes are mapped, and nothing time-dependent is embedded.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ToolFailedError, ToolMissingError } from '../core/errors.js';
import type { ProgressSink } from '../core/progress.js';
import type { Spawner } from '../transports/spawner.js';
import { findConfigBlock } from './config-block.js';
import { generateSources } from './generate.js';
import { testOnlyBuildOf, validatePayloadSpec } from './spec.js';
import type { PayloadBuildSpec, TestOnlyBuild } from './spec.js';
import { TOOLCHAINS } from './toolchains.js';
import type { ToolRef } from './toolchains.js';

export interface BuildPayloadOptions {
  spawner: Spawner;
  /** Where outputs and generated sources go (created if missing). */
  outDir: string;
  /** The payload sources; default: the `boot/` directory shipped with boardkit. */
  bootDir?: string;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface PayloadOutputFile {
  path: string;
  sha256: string;
  size: number;
  /** Byte offset of the config block in this file (what patchConfigBlock will find). */
  configOffset: number;
}

export interface PayloadBuildResult {
  /** ELF for `-kernel` on riscv64/aarch64 (absent for efi). */
  elf?: PayloadOutputFile;
  /** Flat binary for the load address (kernel8.img, netboot `go`), absent for efi. */
  bin?: PayloadOutputFile;
  /** PE32+ UEFI application (BOOTX64.EFI) for `format: 'efi'`. */
  efi?: PayloadOutputFile;
  /** payload.json: the spec, output hashes, config offsets and compiler version. */
  json: string;
  manifest: PayloadManifest;
}

export interface PayloadManifest {
  schema: 'boardkit.payload/v1';
  board: string;
  arch: string;
  format: string;
  loadAddress: string;
  sources: string[];
  compiler: string;
  files: Record<string, { name: string; sha256: string; size: number; configOffset: number }>;
  spec: PayloadBuildSpec;
  /** Set only for a test-only build: its report is not to be trusted, and `run` refuses it. */
  testOnly?: TestOnlyBuild;
}

/** The boot/ directory next to dist/ (or src/) in the installed package. */
export function defaultBootDir(): string {
  return fileURLToPath(new URL('../../boot/', import.meta.url));
}

async function requireTool(spawner: Spawner, ref: ToolRef): Promise<void> {
  if (!(await spawner.which(ref.tool))) throw new ToolMissingError(ref.tool, { debianPackage: ref.debianPackage });
}

async function runTool(spawner: Spawner, ref: ToolRef, args: string[], cwd: string, signal?: AbortSignal): Promise<string> {
  const r = await spawner.run(ref.tool, args, { cwd, env: { LC_ALL: 'C', SOURCE_DATE_EPOCH: '0' }, ...(signal ? { signal } : {}) });
  if (r.exitCode !== 0) throw new ToolFailedError(ref.tool, r.exitCode, r.stderr.toString('utf8'));
  return r.stdout.toString('utf8');
}

async function describeOutput(path: string): Promise<PayloadOutputFile> {
  const bytes = await readFile(path);
  return {
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    configOffset: findConfigBlock(bytes).offset,
  };
}

export interface PayloadBuildStep {
  tool: ToolRef;
  args: string[];
  /** Always the boot/ directory, so source paths in the objects are relative. */
  cwd: string;
}

/** Everything a build does, as data (plan, then apply): generated files, tool steps, outputs. */
export interface PayloadBuildPlan {
  spec: PayloadBuildSpec;
  bootDir: string;
  outDir: string;
  /** Absolute path → contents of the generated sources. */
  generated: Record<string, string>;
  /** boot/-relative sources, sorted. */
  sources: string[];
  /** Tools that must exist (checked before anything runs). */
  tools: ToolRef[];
  steps: PayloadBuildStep[];
  outputs: { elf?: string; bin?: string; efi?: string; json: string };
}

/** Pure: validates the spec and computes the build without touching the file system. */
export function planPayloadBuild(spec: PayloadBuildSpec, dirs: { outDir: string; bootDir?: string }): PayloadBuildPlan {
  validatePayloadSpec(spec);
  const bootDir = resolve(dirs.bootDir ?? defaultBootDir());
  const outDir = resolve(dirs.outDir);
  const genDir = join(outDir, 'gen');
  const tc = TOOLCHAINS[spec.arch];
  const gen = generateSources(spec);
  const generated: Record<string, string> = {};
  for (const name of Object.keys(gen.files).sort()) generated[join(genDir, name)] = gen.files[name]!;
  const common = [
    ...tc.cflags,
    `-ffile-prefix-map=${bootDir}=boot`,
    `-ffile-prefix-map=${outDir}=out`,
    ...['include', 'virtio', 'storage', `arch/${spec.arch}`, genDir].flatMap((d) => ['-I', d]),
  ];
  const sources = [...gen.sources, join(genDir, 'bk-drivers.c')];
  const step = (tool: ToolRef, args: string[]): PayloadBuildStep => ({ tool, args, cwd: bootDir });
  const json = join(outDir, 'payload.json');
  if (spec.format === 'efi') {
    const efi = join(outDir, 'BOOTX64.EFI');
    return {
      spec, bootDir, outDir, generated, sources: gen.sources,
      tools: [tc.cc, ...(tc.linker ? [tc.linker] : [])],
      steps: [step(tc.cc, [...common, ...tc.ldflags, '-o', efi, ...sources, ...tc.libs])],
      outputs: { efi, json },
    };
  }
  const elf = join(outDir, 'payload.elf');
  const bin = join(outDir, 'payload.bin');
  return {
    spec, bootDir, outDir, generated, sources: gen.sources,
    tools: [tc.cc, tc.objcopy!],
    steps: [step(tc.cc, [...common, '-T', join(genDir, 'link.ld'), ...tc.ldflags, '-o', elf, ...sources, ...tc.libs]), step(tc.objcopy!, ['-O', 'binary', elf, bin])],
    outputs: { elf, bin, json },
  };
}

export async function buildPayload(spec: PayloadBuildSpec, options: BuildPayloadOptions): Promise<PayloadBuildResult> {
  const plan = planPayloadBuild(spec, options);
  const { spawner, signal } = options;
  const progress = options.progress ?? (() => {});
  for (const ref of plan.tools) await requireTool(spawner, ref);

  progress({ source: 'payload.build', type: 'start', message: `${spec.board} (${spec.arch})` });
  await mkdir(join(plan.outDir, 'gen'), { recursive: true });
  for (const [path, text] of Object.entries(plan.generated)) await writeFile(path, text);
  const version = (await runTool(spawner, plan.tools[0]!, ['--version'], plan.bootDir, signal)).split('\n')[0] ?? '';
  for (const st of plan.steps) await runTool(spawner, st.tool, st.args, st.cwd, signal);

  const result: Omit<PayloadBuildResult, 'json' | 'manifest'> = {};
  for (const key of ['elf', 'bin', 'efi'] as const) {
    const path = plan.outputs[key];
    if (path) result[key] = await describeOutput(path);
  }
  const files: PayloadManifest['files'] = {};
  for (const [key, f] of Object.entries(result) as Array<[string, PayloadOutputFile]>)
    files[key] = { name: f.path.slice(plan.outDir.length + 1), sha256: f.sha256, size: f.size, configOffset: f.configOffset };

  const manifest: PayloadManifest = {
    schema: 'boardkit.payload/v1',
    board: spec.board,
    arch: spec.arch,
    format: spec.format,
    loadAddress: `0x${spec.loadAddress.toString(16)}`,
    sources: plan.sources,
    compiler: version.trim(),
    files,
    spec,
  };
  const testOnly = testOnlyBuildOf(spec);
  if (testOnly) manifest.testOnly = testOnly;
  await writeFile(plan.outputs.json, `${JSON.stringify(manifest, null, 2)}\n`);
  progress({ source: 'payload.build', type: 'done', message: spec.board, data: { files } });
  return { ...result, json: plan.outputs.json, manifest };
}
