/**
 * TFTP files straight out of a disk image's boot partition (`netboot serve --image out.img`), read
 * through our own partition-table and FAT readers: no loop mount, nothing extracted to disk, so
 * the bytes a board netboots are the bytes it would boot from the flashed card.
 *
 * The boot partition is, in this order: a GPT EFI System Partition; an MBR partition marked
 * bootable; the first partition holding a FAT filesystem. Names are looked up as FAT does
 * (case-insensitively, long or 8.3 names).
 *
 * The image is opened per request and closed after it (a rebuilt image, written under a
 * temporary name and renamed by `image build`, is served from the next request on). Each file is
 * read into memory whole, cluster by cluster (the TFTP server's generated-file hook takes bytes):
 * boot partitions hold firmware, scripts and kernels, not data sets.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BoardkitError } from '../core/errors.js';
import { FatReader, type FatEntry } from '../protocols/fat/index.js';
import { decodeGptEntries, decodeGptHeader, GptTypeAlias } from '../protocols/gpt/index.js';
import { decodeMbr, MBR_TYPE_GPT_PROTECTIVE } from '../protocols/mbr/index.js';
import { decodeScriptImage } from '../protocols/uimage.js';
import type { BoardProfile } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
import type { BootRule } from '../protocols/dhcp/boot-rules.js';
import { boardBootRule, netbootFlow, stripPiSerialPrefix, type NetbootFlow } from './board-boot-files.js';
import type { GeneratedFileProvider } from './generated-files.js';
import { netbootScript } from './uboot-script.js';

const SECTOR = 512;

export interface ImageBootPartition {
  /** 1-based partition number. */
  index: number;
  table: 'mbr' | 'gpt';
  firstLba: number;
  sizeLba: number;
  /** Every file (not directory) in it, with its path from the partition root (`/EFI/BOOT/BOOTX64.EFI`). */
  files: Array<{ path: string; size: number }>;
}

/** What `--image` serves: the boot partition, and with a board what DHCP names and which image file the netboot script fetches. */
export interface ImageServingEvent {
  type: 'serving-image';
  image: string;
  partition: number;
  table: 'mbr' | 'gpt';
  files: Array<{ name: string; bytes: number }>;
  board?: string;
  flow?: NetbootFlow;
  bootFile?: string;
  payloadFile?: string;
}

export class ImageRootError extends BoardkitError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('E_NETBOOT_IMAGE', 'input', message, { hint, ...(cause ? { cause } : {}) });
  }
}

interface Opened {
  part: ImageBootPartition;
  reader: FatReader;
  close(): void;
}

function open(path: string): Opened {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw new ImageRootError(`cannot open image '${path}'`, 'build one with `boardkit image build -b BOARD -p PAYLOAD`', cause);
  }
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number) => {
      const b = new Uint8Array(length);
      const n = readSync(fd, b, 0, length, offset);
      if (n < length) throw new ImageRootError(`${path}: read past the end (offset ${offset}, ${length} bytes)`, 'is the image truncated?');
      return b;
    };
    const candidates = partitionsOf(path, read, size);
    for (const c of candidates) {
      if ((c.firstLba + c.sizeLba) * SECTOR > size) continue;
      let reader: FatReader;
      try {
        reader = new FatReader({ read }, c.firstLba * SECTOR);
      } catch {
        continue; // not FAT
      }
      const files = reader
        .walk()
        .filter((e) => !e.isDirectory)
        .map((e) => ({ path: e.path, size: e.size }));
      return { part: { ...c, files }, reader, close: () => closeSync(fd) };
    }
    throw new ImageRootError(`${path}: no FAT boot partition`, '`boardkit image inspect` shows what the image holds');
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Partitions in boot-partition preference order (ESP / bootable first). */
function partitionsOf(path: string, read: (o: number, n: number) => Uint8Array, size: number): Array<Omit<ImageBootPartition, 'files'>> {
  if (size < 2 * SECTOR) throw new ImageRootError(`${path}: too small to be a disk image (${size} bytes)`, 'pass the image `boardkit image build` wrote');
  let mbr;
  try {
    mbr = decodeMbr(read(0, SECTOR));
  } catch (cause) {
    throw new ImageRootError(`${path}: no partition table`, 'pass a whole disk image, not a partition or a compressed file', cause);
  }
  if (mbr.partitions.some((p) => p.type === MBR_TYPE_GPT_PROTECTIVE)) {
    const h = decodeGptHeader(read(SECTOR, SECTOR));
    const parts = decodeGptEntries(read(h.entriesLba * SECTOR, h.entryCount * h.entrySize), h).map((p, i) => ({
      index: i + 1,
      table: 'gpt' as const,
      firstLba: p.firstLba,
      sizeLba: p.lastLba - p.firstLba + 1,
      esp: p.typeGuid.toUpperCase() === GptTypeAlias.esp,
    }));
    return [...parts.filter((p) => p.esp), ...parts.filter((p) => !p.esp)].map(({ esp: _esp, ...p }) => p);
  }
  const parts = mbr.partitions.map((p, i) => ({ index: i + 1, table: 'mbr' as const, firstLba: p.firstLba, sizeLba: p.sizeLba, bootable: p.bootable })).filter((p) => p.sizeLba > 0);
  return [...parts.filter((p) => p.bootable), ...parts.filter((p) => !p.bootable)].map(({ bootable: _b, ...p }) => p);
}

/** Reads the boot partition's listing (and checks the image is usable) once, before serving. */
export function describeImageBootPartition(path: string): ImageBootPartition {
  const o = open(path);
  try {
    return o.part;
  } finally {
    o.close();
  }
}

/** One file of the boot partition, or undefined when it is absent (or a directory). */
export function readImageFile(path: string, name: string): Uint8Array | undefined {
  const o = open(path);
  try {
    const e: FatEntry | undefined = o.reader.stat(name);
    return e && !e.isDirectory ? o.reader.readFile(e) : undefined;
  } finally {
    o.close();
  }
}

/**
 * The TFTP provider over the image's boot partition. `rewrite` maps a requested name to the name
 * to look up (e.g. a Pi's `<serial>/start4.elf` to `start4.elf`).
 */
export function imageFileProvider(path: string, rewrite: (name: string) => string = (n) => n): GeneratedFileProvider {
  return (_client, name) => readImageFile(path, rewrite(name.replace(/^\/+/, '')));
}

/**
 * The file a U-Boot boot script in the image loads as the kernel (`load <dev> <part> <addr> <file>`
 * in `boot.scr`, or `boot.scr.uimg`): the payload the image boots from disk, which a netboot script
 * then fetches over TFTP instead. Undefined when the image has no such script.
 */
export function imageScriptPayload(path: string): string | undefined {
  for (const name of ['boot.scr', 'boot.scr.uimg']) {
    const bytes = readImageFile(path, name);
    if (!bytes) continue;
    let text: string;
    try {
      text = decodeScriptImage(bytes);
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^\s*(?:load|fatload|ext4load)\s+\S+\s+\S+\s+\S+\s+(\S+)/.exec(line);
      if (m) return m[1]!.replace(/^\/+/, '');
    }
  }
  return undefined;
}

/**
 * `--image`: the image's boot partition as TFTP files; with a board, that board's DHCP rule, and
 * the name mapping its netboot client needs: a U-Boot board gets a generated netboot script
 * (`bootFile`) that fetches the payload file the image's own disk boot script loads (the bytes of
 * the image, not a rebuilt copy); a Pi's `<serial>/` prefix is dropped; a UEFI PC's boot file is
 * also looked up under `EFI/BOOT/`, where the image's ESP keeps it.
 */
export function imageBootService(path: string, profile: BoardProfile | undefined): { files: GeneratedFileProvider; main?: { bootRule: BootRule; bootFile: string }; event: ImageServingEvent } {
  const part = describeImageBootPartition(path);
  const event: ImageServingEvent = { type: 'serving-image', image: path, partition: part.index, table: part.table, files: part.files.map((f) => ({ name: f.path.replace(/^\//, ''), bytes: f.size })) };
  let candidates = (name: string): string[] => [name];
  let script: { name: string; bytes: Uint8Array } | undefined;
  if (!profile) return { files: (_c, name) => readImageFile(path, name), event };
  const flow = netbootFlow(profile);
  const nb = profile.netboot!;
  if (flow === 'uboot-script') {
    const payloadFile = imageScriptPayload(path);
    if (!payloadFile) throw new UsageError(`${path} has no U-Boot boot script that loads a payload (boot.scr with a load command)`, { hint: `build the image for a U-Boot board: boardkit image build -b ${profile.id} -p PAYLOAD` });
    if (profile.memory.loadAddress === undefined) throw new UsageError(`board '${profile.id}' has no load address for a netbooted payload`);
    script = { name: nb.bootFile, bytes: netbootScript({ loadAddress: profile.memory.loadAddress, file: payloadFile, arch: profile.arch }) };
    event.payloadFile = payloadFile;
  } else if (flow === 'rpi-firmware') candidates = (name) => [stripPiSerialPrefix(name)];
  else candidates = (name) => [name, `EFI/BOOT/${name}`];
  Object.assign(event, { board: profile.id, flow, bootFile: nb.bootFile });
  const files: GeneratedFileProvider = (_client, name) => {
    const key = name.replace(/^\/+/, '');
    if (script && key === script.name) return script.bytes;
    for (const c of candidates(key)) {
      const bytes = readImageFile(path, c);
      if (bytes) return bytes;
    }
    return undefined;
  };
  return { files, main: { bootRule: boardBootRule(profile), bootFile: nb.bootFile }, event };
}
