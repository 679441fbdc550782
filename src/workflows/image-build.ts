/**
 * `image build`: board profile + payload → out.img, out.img.bmap, out.img.manifest.json.
 * Plans first (pure), then writes the image sparsely in place; `dryRun` stops after the plan.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { imageFacts, resolveBoard, type BoardRef } from '../boards/plan.js';
import type { BoardProfile } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
import { checkOutputFile, prepareOutputDir } from './output-paths.js';
import { noProgress, type ProgressSink } from '../core/progress.js';
import { applyImagePlan } from '../image/apply.js';
import { describePlan, planImage, type FirmwareFile, type ImagePlan, type PayloadInfo } from '../image/image-plan.js';
import { parseLayoutFile } from '../image/layout-file.js';
import { findLayout, type ImageLayout } from '../image/layouts.js';
import { STREAM_CHUNK } from '../image/sparse-writer.js';
import { crc32 } from '../protocols/uimage.js';

export interface ImageBuildRequest {
  board: string;
  payload: string;
  /** A layout name; default: the profile's `storage.layout`. */
  layout?: string;
  output: string;
  size?: number;
  dryRun?: boolean;
  /** Timestamps and ids derive from this (SOURCE_DATE_EPOCH); the CLI passes the environment's value or 0 → 1980-01-01. */
  sourceDateEpoch: number;
  /** `--add SRC:DEST`: files copied into the first FAT partition. */
  add?: Array<{ from: string; to: string }>;
}

export interface ImageBuildResult {
  plan: Record<string, unknown>;
  outputs?: { image: string; bmap: string; manifest: string; mappedBytes: number };
}

/** Size, head, CRC32 and sha256 of the payload, read once in bounded chunks. */
export async function readPayloadInfo(path: string): Promise<PayloadInfo> {
  const st = await stat(path).catch((e: unknown) => {
    throw new UsageError(`payload '${path}' cannot be read`, { cause: e, hint: 'pass the file `boardkit payload build` wrote (.bin, or .efi for UEFI boards)' });
  });
  if (!st.isFile()) throw new UsageError(`payload '${path}' is not a file`);
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(STREAM_CHUNK);
    const h = createHash('sha256');
    let crc = 0;
    let head = new Uint8Array();
    for (let at = 0; at < st.size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - at), at);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (at === 0) head = chunk.slice(0, 64);
      h.update(chunk);
      crc = crc32(chunk, crc);
      at += bytesRead;
    }
    return { path, size: st.size, head, crc32: crc, sha256: h.digest('hex') };
  } finally {
    await fh.close();
  }
}

export interface ImageBuildEnv {
  /** An artefact's file name and path in the verified cache; rejects when it is not there. */
  firmwareFile?: (artifactId: string) => Promise<{ name: string; path: string; version?: string; licence?: string }>;
}

/** A built-in layout by name, or a user's layout file (`*.yaml`/`*.yml`), validated. */
export async function loadLayout(name: string): Promise<ImageLayout> {
  if (!/\.ya?ml$/i.test(name)) return findLayout(name);
  const text = await readFile(name, 'utf8').catch((e: unknown) => {
    throw new UsageError(`layout file '${name}' cannot be read`, { cause: e, hint: 'give a built-in layout name or the path of a layout YAML file' });
  });
  return parseLayoutFile(name, text);
}

export function planImageBuild(board: BoardRef, req: ImageBuildRequest, payload: PayloadInfo, firmware: FirmwareFile[] = [], layout?: ImageLayout, extraFiles: Array<{ path: string; to: string; size: number }> = []): ImagePlan {
  const profile = resolveBoard(board, req.board);
  const facts = imageFacts(profile);
  return planImage({ board: profile.id, facts, layout: layout ?? findLayout(req.layout ?? facts.layout), payload, firmware, ...(extraFiles.length ? { extraFiles } : {}), ...(req.size !== undefined ? { size: req.size } : {}), sourceDateEpoch: req.sourceDateEpoch });
}

/** The artefact files a layout places (firmware files in a FAT, raw blobs); missing ones are left for the plan to name. */
async function resolveFirmware(profile: BoardProfile, layout: ImageLayout, env: ImageBuildEnv): Promise<FirmwareFile[]> {
  const facts = imageFacts(profile);
  const ids = new Set<string>();
  for (const p of layout.partitions) {
    if (p.content.kind === 'raw') for (const id of facts.stageArtifacts[p.content.stage] ?? []) ids.add(id);
    if (p.content.kind === 'fat' && p.content.files.some((f) => f.from.kind === 'firmware-files')) for (const id of facts.firmwareArtifacts) ids.add(id);
  }
  if (!env.firmwareFile) return [];
  const out: FirmwareFile[] = [];
  for (const id of ids) {
    const f = await env.firmwareFile(id).catch(() => undefined);
    if (f) out.push({ id, name: f.name, path: f.path, size: (await stat(f.path)).size, ...(f.version ? { version: f.version } : {}), ...(f.licence ? { licence: f.licence } : {}) });
  }
  return out;
}

export async function buildImage(board: BoardRef, req: ImageBuildRequest, progress: ProgressSink = noProgress, env: ImageBuildEnv = {}): Promise<ImageBuildResult> {
  const profile = resolveBoard(board, req.board);
  const layout = await loadLayout(req.layout ?? profile.storage.layout);
  const payload = await readPayloadInfo(req.payload);
  const extra = [];
  for (const a of req.add ?? []) {
    const st = await stat(a.from).catch((e: unknown) => {
      throw new UsageError(`--add: '${a.from}' cannot be read`, { cause: e, hint: 'give --add SRC:DEST with an existing file' });
    });
    if (!st.isFile()) throw new UsageError(`--add: '${a.from}' is not a file`, { hint: 'add the files of a directory one by one' });
    extra.push({ path: a.from, to: a.to, size: st.size });
  }
  const plan = planImageBuild(profile, req, payload, await resolveFirmware(profile, layout, env), layout, extra);
  const described = describePlan(plan);
  if (req.dryRun) return { plan: described };
  await prepareOutputDir(dirname(req.output), 'image directory');
  await checkOutputFile(req.output, 'image file');
  progress({ source: 'image.write', type: 'start', message: req.output, total: plan.size });
  const bmapPath = `${req.output}.bmap`;
  const manifestPath = `${req.output}.manifest.json`;
  // Written beside the outputs under temporary names and renamed only when all three are complete:
  // a failure or Ctrl-C leaves no half-written image (nor an old .bmap beside a new image).
  const partial = (p: string) => join(dirname(p), `.${basename(p)}.partial-${process.pid}`);
  const temps = [partial(req.output), partial(bmapPath), partial(manifestPath)] as const;
  let applied;
  try {
    applied = await applyImagePlan(plan, temps[0], progress);
    await writeFile(temps[1], applied.bmap);
    const manifest = {
      format: 'boardkit-image-manifest/1',
      image: basename(req.output),
      ...described,
      payload: { file: basename(payload.path), size: payload.size, sha256: payload.sha256 },
      partitions: (described.partitions as Array<Record<string, unknown> & { index: number; files: Array<{ path: string }> }>).map((p) => ({
        ...p,
        files: p.files.map((f) => ({ ...f, sha256: applied!.fileSha256[`${p.index}:${f.path}`] })),
        ...(applied!.fileSha256[`${p.index}:raw`] ? { rawSha256: applied!.fileSha256[`${p.index}:raw`] } : {}),
      })),
    };
    await writeFile(temps[2], `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(temps[0], req.output);
    await rename(temps[1], bmapPath);
    await rename(temps[2], manifestPath);
  } finally {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
  }
  progress({ source: 'image.write', type: 'done', message: req.output });
  return { plan: described, outputs: { image: req.output, bmap: bmapPath, manifest: manifestPath, mappedBytes: applied.mappedBytes } };
}
