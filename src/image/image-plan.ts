/**
 * `ImagePlan`: a pure value saying everything an image will hold — table, partitions with byte
 * offsets, filesystems, each file with its size and source, generated boot files with their text —
 * built from a layout, the board's image facts and the payload's size and checksums. `--dry-run`
 * prints it; `applyImagePlan` writes it. Same inputs → same plan → same bytes.
 */
import { createHash } from 'node:crypto';
import type { ImageFacts } from '../boards/plan.js';
import { BoardkitError } from '../core/errors.js';
import { formatBytes } from '../core/units.js';
import { FatFullError, FatNameError, FatTreeError, FatGeometryError, planFatVolume, type FatNodeInput, type FatVolumePlan } from '../protocols/fat/index.js';
import { guidFromSeed, resolveGptType, usableRange } from '../protocols/gpt/index.js';
import { distroBootScript, distroBootScriptText, extlinuxConf, payloadUImageHeader } from './boot-files.js';
import { lintConfigTxt } from './config-txt-lint.js';
import type { ImageLayout, LayoutFile } from './layouts.js';

export const SECTOR = 512;

export class ImageLayoutError extends BoardkitError {
  constructor(rule: string, message: string, hint: string, details: Record<string, unknown> = {}) {
    super('E_IMAGE_LAYOUT', 'usage', `${rule}: ${message}`, { hint, details: { rule, ...details } });
  }
}

export interface PayloadInfo {
  path: string;
  size: number;
  /** The first bytes (ELF / PE / uImage magic checks). */
  head: Uint8Array;
  crc32: number;
  sha256: string;
}

/** Where a file's bytes come from: bytes held in the plan (small, generated) or a file streamed after an optional prefix. */
export type FileContent = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'file'; path: string; size: number; prefix?: Uint8Array };

export interface PlannedFile {
  path: string;
  size: number;
  source: string;
  content: FileContent;
  /** Generated text (boot scripts) for --dry-run and the manifest. */
  text?: string;
}

export interface PlannedPartition {
  index: number;
  name: string;
  /** MBR type byte as 0xNN, or the GPT type GUID. */
  type: string;
  bootable: boolean;
  firstLba: number;
  sizeLba: number;
  offset: number;
  size: number;
  uniqueGuid?: string;
  files: PlannedFile[];
  fat?: FatVolumePlan<PlannedFile>;
  /** A raw artefact written at the partition start. */
  raw?: { artifact: string; path: string; size: number };
}

export interface ImagePlan {
  board: string;
  layout: string;
  table: 'mbr' | 'gpt';
  sectorSize: number;
  size: number;
  /** MBR disk signature (hex) or GPT disk GUID. */
  diskId: string;
  sourceDateEpoch: number;
  partitions: PlannedPartition[];
  /** The artefacts the image holds (firmware files, raw blobs), with version and licence. */
  artifacts: Array<{ id: string; file: string; version?: string; licence?: string }>;
}

export interface PlanRequest {
  board: string;
  facts: ImageFacts;
  layout: ImageLayout;
  payload: PayloadInfo;
  /** Total image size in bytes; default: the end of the last partition plus 1 MiB. */
  size?: number;
  sourceDateEpoch: number;
  /** The boot chain's firmware files, resolved from the artefact cache by the caller. */
  firmware?: FirmwareFile[];
  /** `--add SRC:DEST`: user files for the first FAT partition. */
  extraFiles?: Array<{ path: string; to: string; size: number }>;
}

export interface FirmwareFile {
  id: string;
  name: string;
  path: string;
  size: number;
  /** From the artefact's manifest, for the image manifest. */
  version?: string;
  licence?: string;
}

const ELF = [0x7f, 0x45, 0x4c, 0x46];
const PE = [0x4d, 0x5a];
const starts = (b: Uint8Array, m: number[]) => m.every((x, i) => b[i] === x);

/** Deterministic ids: a hash of what identifies the image, never the clock or randomness. */
function seed(...parts: Array<string | number>): Uint8Array {
  return createHash('sha256').update(parts.join('\0')).digest();
}

const join = (dir: string, name: string) => (dir ? `${dir.replace(/\/+$/, '')}/${name}` : name);

function filesFor(f: LayoutFile, req: PlanRequest): PlannedFile[] {
  const p = req.payload;
  switch (f.from.kind) {
    case 'firmware-files': {
      const have = new Map((req.firmware ?? []).map((fw) => [fw.id, fw]));
      const missing = req.facts.firmwareArtifacts.filter((id) => !have.has(id));
      if (missing.length) throw new ImageLayoutError('artifact-missing', `the boot partition needs firmware artefact(s) ${missing.join(', ')}, which are not in the cache`, '`boardkit firmware fetch` downloads them (or `boardkit firmware import` for user-supplied files)', { missing });
      return req.facts.firmwareArtifacts.map((id) => {
        const fw = have.get(id)!;
        return { path: join(f.to, fw.name), size: fw.size, source: `firmware artefact ${id}`, content: { kind: 'file', path: fw.path, size: fw.size } };
      });
    }
    case 'rpi-config-txt': {
      if (!req.facts.rpi) throw new ImageLayoutError('layout-board-mismatch', `layout '${req.layout.id}' writes a Raspberry Pi config.txt; board '${req.board}' is not booted by the Pi firmware`, 'pick the layout the board profile names (storage.layout)');
      const bytes = new TextEncoder().encode(req.facts.rpi.configTxt);
      return [{ path: f.to, size: bytes.length, source: 'generated config.txt', content: { kind: 'bytes', bytes }, text: req.facts.rpi.configTxt }];
    }
    case 'rpi-kernel': {
      if (!req.facts.rpi) throw new ImageLayoutError('layout-board-mismatch', `layout '${req.layout.id}' needs a Raspberry Pi kernel name; board '${req.board}' has none`, 'pick the layout the board profile names (storage.layout)');
      if (starts(p.head, ELF) || starts(p.head, PE)) throw new ImageLayoutError('payload-not-loadable', `the Pi firmware loads a flat kernel image; the payload is an ${starts(p.head, ELF) ? 'ELF' : 'PE'} file`, 'pass the flat .bin that `boardkit payload build` writes beside the ELF');
      return [{ path: join(f.to, req.facts.rpi.kernel), size: p.size, source: 'payload', content: { kind: 'file', path: p.path, size: p.size } }];
    }
    default:
      return [fileFor(f, req)];
  }
}

function fileFor(f: LayoutFile, req: PlanRequest): PlannedFile {
  const p = req.payload;
  switch (f.from.kind) {
    case 'payload':
      if (req.facts.bootProtocol === 'uefi' && !starts(p.head, PE)) {
        throw new ImageLayoutError('payload-not-loadable', `board '${req.board}' boots a UEFI application from ${f.to}; the payload is not a PE/COFF file`, 'pass the .efi that `boardkit payload build` writes');
      }
      return { path: f.to, size: p.size, source: 'payload', content: { kind: 'file', path: p.path, size: p.size } };
    case 'payload-uimage': {
      if (starts(p.head, ELF) || starts(p.head, PE)) {
        throw new ImageLayoutError('payload-not-loadable', `U-Boot's bootm loads a flat image here; the payload is an ${starts(p.head, ELF) ? 'ELF' : 'PE'} file`, 'pass the flat .bin that `boardkit payload build` writes beside the ELF');
      }
      const prefix = payloadUImageHeader(req.facts, p.size, p.crc32, req.sourceDateEpoch);
      return { path: f.to, size: prefix.length + p.size, source: 'payload as a legacy U-Boot kernel image', content: { kind: 'file', path: p.path, size: p.size, prefix } };
    }
    case 'uboot-script': {
      const bytes = distroBootScript(req.facts, f.from.loads, req.sourceDateEpoch);
      return { path: f.to, size: bytes.length, source: 'generated U-Boot script image', content: { kind: 'bytes', bytes }, text: distroBootScriptText(f.from.loads) };
    }
    case 'extlinux': {
      const text = extlinuxConf({ kernel: f.from.kernel, ...(f.from.append ? { append: f.from.append } : {}) });
      const bytes = new TextEncoder().encode(text);
      return { path: f.to, size: bytes.length, source: 'generated extlinux.conf', content: { kind: 'bytes', bytes }, text };
    }
    default:
      throw new Error(`unhandled file source ${f.from.kind}`);
  }
}

/** Files as the FAT planner's tree (directories from the `/`-separated paths). */
function tree(files: PlannedFile[]): Array<FatNodeInput<PlannedFile>> {
  const root: Array<FatNodeInput<PlannedFile>> = [];
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    let list = root;
    for (const dir of parts.slice(0, -1)) {
      let d = list.find((n) => n.kind === 'dir' && n.name === dir) as Extract<FatNodeInput<PlannedFile>, { kind: 'dir' }> | undefined;
      if (!d) list.push((d = { kind: 'dir', name: dir, children: [] }));
      list = d.children;
    }
    list.push({ kind: 'file', name: parts[parts.length - 1]!, size: f.size, ref: f });
  }
  return root;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

export function planImage(req: PlanRequest): ImagePlan {
  const { layout } = req;
  const tail = layout.table === 'gpt' ? 33 * SECTOR : 0; // backup entries + header (UEFI 2.10 §5.3.2)
  const head = layout.table === 'gpt' ? usableRange(1 << 20).firstUsable * SECTOR : SECTOR;
  if (layout.table === 'mbr' && layout.partitions.length > 4) throw new ImageLayoutError('too-many-partitions', `layout '${layout.id}' has ${layout.partitions.length} partitions; an MBR holds 4`, 'use a GPT layout');
  const fixedEnd = layout.partitions.reduce((end, p) => {
    const off = p.offset ?? alignUp(end, layout.align);
    return off + (p.size === 'fill' ? layout.align : p.size);
  }, head);
  const size = req.size ?? alignUp(fixedEnd + Math.max(tail, layout.align), layout.align);
  if (size % SECTOR !== 0) throw new ImageLayoutError('size-not-sectors', `image size ${size} is not a multiple of ${SECTOR}`, 'give --size in K, M or G');
  const partitions: PlannedPartition[] = [];
  let cursor = head;
  layout.partitions.forEach((p, i) => {
    const offset = p.offset ?? alignUp(cursor, layout.align);
    if (offset % SECTOR !== 0) throw new ImageLayoutError('partition-misaligned', `partition '${p.name}' starts at byte ${offset}, not on a sector`, 'give offsets in sectors or MiB');
    if (offset < cursor) throw new ImageLayoutError('partitions-overlap', `partition '${p.name}' at byte ${offset} overlaps what ends at ${cursor}`, 'move it after the previous partition');
    if (p.size === 'fill' && i !== layout.partitions.length - 1) throw new ImageLayoutError('fill-not-last', `partition '${p.name}' fills the disk but is not the last one`, "give it a size; only the last partition may be 'fill'");
    const grows = (p.size === 'fill' || (p.grow && req.size !== undefined)) && i === layout.partitions.length - 1;
    const psize = grows ? Math.floor((size - tail - offset) / layout.align) * layout.align || size - tail - offset : (p.size as number);
    if (p.grow && grows && psize < (p.size as number)) throw new ImageLayoutError('image-too-small', `partition '${p.name}' needs at least ${formatBytes(p.size as number)}`, `use --size ${Math.ceil((offset + (p.size as number) + tail) / 1048576) + 1}M or more`);
    if (psize <= 0 || offset + psize > size - tail) {
      throw new ImageLayoutError('image-too-small', `partition '${p.name}' (${formatBytes(Math.max(psize, 0))} at ${formatBytes(offset)}) does not fit an image of ${formatBytes(size)}`, `use --size ${Math.ceil((offset + Math.max(psize, SECTOR) + tail) / 1048576)}M or more`);
    }
    cursor = offset + psize;
    const type = layout.table === 'gpt' ? resolveGptType(p.type) : /^0x[0-9a-f]{1,2}$/i.test(p.type) ? `0x${p.type.slice(2).padStart(2, '0').toLowerCase()}` : undefined;
    if (!type) throw new ImageLayoutError('unknown-partition-type', `partition '${p.name}' has type '${p.type}'`, layout.table === 'gpt' ? 'use a GUID or one of: esp, linux, fat32, sifive-spl, sifive-uboot' : 'use an MBR type byte such as 0x0c');
    const part: PlannedPartition = {
      index: i + 1,
      name: p.name,
      type,
      bootable: p.bootable ?? false,
      firstLba: offset / SECTOR,
      sizeLba: psize / SECTOR,
      offset,
      size: psize,
      ...(layout.table === 'gpt' ? { uniqueGuid: guidFromSeed(seed('partition', req.board, layout.id, p.name, req.sourceDateEpoch)) } : {}),
      files: [],
    };
    if (p.content.kind === 'raw') {
      const ids = req.facts.stageArtifacts[p.content.stage] ?? [];
      if (ids.length !== 1) throw new ImageLayoutError('raw-source-unknown', `partition '${p.name}' takes the artefact of boot stage '${p.content.stage}'; board '${req.board}' has ${ids.length || 'none'}`, 'pick the layout the board profile names (storage.layout)');
      const fw = (req.firmware ?? []).find((f) => f.id === ids[0]);
      if (!fw) throw new ImageLayoutError('artifact-missing', `partition '${p.name}' needs artefact ${ids[0]}, which is not in the cache`, '`boardkit firmware import` adds a user-supplied artefact (HiFive SPL/ITB are built by the user)', { missing: ids });
      if (fw.size > psize) throw new ImageLayoutError('raw-does-not-fit', `artefact ${fw.id} (${formatBytes(fw.size)}) is larger than partition '${p.name}' (${formatBytes(psize)}) by ${formatBytes(fw.size - psize)}`, 'use a layout with a bigger partition');
      part.raw = { artifact: fw.id, path: fw.path, size: fw.size };
    }
    if (p.content.kind === 'fat') {
      part.files = p.content.files.flatMap((f) => filesFor(f, req));
      if (!partitions.some((q) => q.fat)) {
        for (const x of req.extraFiles ?? []) {
          const to = x.to.replace(/^\/+/, '');
          const clash = part.files.find((f) => f.path.toUpperCase() === to.toUpperCase());
          if (clash) throw new ImageLayoutError('file-conflict', `--add ${x.path}:${x.to} would replace ${clash.path} (${clash.source})`, 'add it under another name, or use a layout file without that entry');
          part.files.push({ path: to, size: x.size, source: `added from ${x.path}`, content: { kind: 'file', path: x.path, size: x.size } });
        }
      }
      const config = part.files.find((f) => f.source === 'generated config.txt');
      if (config && req.facts.rpi) {
        const findings = lintConfigTxt(config.text!, { arch: req.facts.arch, loadAddress: req.facts.loadAddress, files: part.files.map((f) => f.path), uartNeeds: req.facts.rpi.uartNeeds });
        if (findings.length) {
          throw new ImageLayoutError(`config-txt-${findings[0]!.rule}`, findings.map((f) => `config.txt:${f.line} ${f.rule} ${f.message}`).join('; '), 'fix the board profile (firmwareConfig, drivers) or add the missing files', { findings });
        }
      }
      part.fat = planFat(part, p.content, req);
    }
    partitions.push(part);
  });
  const disk = seed('disk', req.board, layout.id, req.sourceDateEpoch);
  const diskId = layout.table === 'gpt' ? guidFromSeed(disk) : `0x${Buffer.from(disk.subarray(0, 4)).toString('hex')}`;
  const usedIds = new Set(partitions.flatMap((p) => [...(p.raw ? [p.raw.artifact] : []), ...p.files.flatMap((f) => (f.source.startsWith('firmware artefact ') ? [f.source.slice('firmware artefact '.length)] : []))]));
  const artifacts = (req.firmware ?? []).filter((f) => usedIds.has(f.id)).map((f) => ({ id: f.id, file: f.name, ...(f.version ? { version: f.version } : {}), ...(f.licence ? { licence: f.licence } : {}) }));
  return { board: req.board, layout: layout.id, table: layout.table, sectorSize: SECTOR, size, diskId, sourceDateEpoch: req.sourceDateEpoch, partitions, artifacts };
}

function planFat(part: PlannedPartition, c: Extract<ImageLayout['partitions'][number]['content'], { kind: 'fat' }>, req: PlanRequest): FatVolumePlan<PlannedFile> {
  const volumeId = Buffer.from(seed('volume', req.board, req.layout.id, part.name, req.sourceDateEpoch)).readUInt32LE(0);
  try {
    return planFatVolume({ totalSectors: part.sizeLba, type: c.fatType ?? 'auto', ...(c.label ? { label: c.label } : {}), volumeId, hiddenSectors: part.firstLba, timestamp: req.sourceDateEpoch, root: tree(part.files) });
  } catch (e) {
    if (e instanceof FatFullError) {
      const short = (e.needClusters - e.haveClusters) * e.clusterBytes;
      const fits = alignUp(Math.ceil((part.size + short) * 1.05), 1048576);
      throw new ImageLayoutError('files-do-not-fit', `the files of partition '${part.name}' need ${formatBytes(short)} more than its ${formatBytes(part.size)}`, `make the partition about ${formatBytes(fits)} (a larger --size with a 'fill' partition, or a layout with a bigger one)`, { shortBytes: short, fitsBytes: fits });
    }
    if (e instanceof FatGeometryError || e instanceof FatNameError || e instanceof FatTreeError) {
      throw new ImageLayoutError('fat-invalid', `partition '${part.name}': ${e.message}`, 'change the partition size, FAT type or file names');
    }
    throw e;
  }
}

/** The plan as plain data for --dry-run --json and the manifest (no byte buffers). */
export function describePlan(plan: ImagePlan): Record<string, unknown> {
  return {
    board: plan.board,
    layout: plan.layout,
    table: plan.table,
    size: plan.size,
    diskId: plan.diskId,
    sourceDateEpoch: plan.sourceDateEpoch,
    artifacts: plan.artifacts,
    partitions: plan.partitions.map((p) => ({
      index: p.index,
      name: p.name,
      type: p.type,
      bootable: p.bootable,
      firstLba: p.firstLba,
      sizeLba: p.sizeLba,
      ...(p.uniqueGuid ? { uniqueGuid: p.uniqueGuid } : {}),
      ...(p.raw ? { raw: { artifact: p.raw.artifact, size: p.raw.size } } : {}),
      ...(p.fat ? { filesystem: { type: `fat${p.fat.geometry.type}`, label: p.fat.label ?? null, volumeId: `0x${p.fat.volumeId.toString(16).padStart(8, '0')}`, clusterBytes: p.fat.clusterBytes, clusters: p.fat.geometry.clusterCount, freeClusters: p.fat.freeClusters } } : {}),
      files: p.files.map((f) => ({ path: f.path, size: f.size, source: f.source, ...(f.text !== undefined ? { text: f.text } : {}) })),
    })),
  };
}
