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
import { validatePayloadSpec } from './spec.js';
import type { PayloadBuildSpec } from './spec.js';
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

export async function buildPayload(spec: PayloadBuildSpec, options: BuildPayloadOptions): Promise<PayloadBuildResult> {
  validatePayloadSpec(spec);
  const { spawner, signal } = options;
  const progress = options.progress ?? (() => {});
  const bootDir = resolve(options.bootDir ?? defaultBootDir());
  const outDir = resolve(options.outDir);
  const genDir = join(outDir, 'gen');
  const tc = TOOLCHAINS[spec.arch];
  for (const ref of [tc.cc, tc.objcopy, tc.linker]) if (ref) await requireTool(spawner, ref);

  progress({ source: 'payload.build', type: 'start', message: `${spec.board} (${spec.arch})` });
  await mkdir(genDir, { recursive: true });
  const gen = generateSources(spec);
  for (const name of Object.keys(gen.files).sort()) await writeFile(join(genDir, name), gen.files[name]!);

  const common = [
    ...tc.cflags,
    `-ffile-prefix-map=${bootDir}=boot`,
    `-ffile-prefix-map=${outDir}=out`,
    '-I',
    'include',
    '-I',
    'virtio',
    '-I',
    'storage',
    '-I',
    `arch/${spec.arch}`,
    '-I',
    genDir,
  ];
  const sources = [...gen.sources, join(genDir, 'bk-drivers.c')];
  const version = (await runTool(spawner, tc.cc, ['--version'], bootDir, signal)).split('\n')[0] ?? '';
  const files: PayloadManifest['files'] = {};
  const result: Omit<PayloadBuildResult, 'json' | 'manifest'> = {};

  if (spec.format === 'efi') {
    const efiPath = join(outDir, 'BOOTX64.EFI');
    await runTool(spawner, tc.cc, [...common, ...tc.ldflags, '-o', efiPath, ...sources], bootDir, signal);
    result.efi = await describeOutput(efiPath);
  } else {
    const elfPath = join(outDir, 'payload.elf');
    const binPath = join(outDir, 'payload.bin');
    await runTool(spawner, tc.cc, [...common, '-T', join(genDir, 'link.ld'), ...tc.ldflags, '-o', elfPath, ...sources], bootDir, signal);
    await runTool(spawner, tc.objcopy!, ['-O', 'binary', elfPath, binPath], bootDir, signal);
    result.elf = await describeOutput(elfPath);
    result.bin = await describeOutput(binPath);
  }
  for (const [key, f] of Object.entries(result) as Array<[string, PayloadOutputFile]>)
    files[key] = { name: f.path.slice(outDir.length + 1), sha256: f.sha256, size: f.size, configOffset: f.configOffset };

  const manifest: PayloadManifest = {
    schema: 'boardkit.payload/v1',
    board: spec.board,
    arch: spec.arch,
    format: spec.format,
    loadAddress: `0x${spec.loadAddress.toString(16)}`,
    sources: gen.sources,
    compiler: version.trim(),
    files,
    spec,
  };
  const json = join(outDir, 'payload.json');
  await writeFile(json, `${JSON.stringify(manifest, null, 2)}\n`);
  progress({ source: 'payload.build', type: 'done', message: spec.board, data: { files } });
  return { ...result, json, manifest };
}
