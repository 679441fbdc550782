/**
 * Image layouts as data: a partition table, partitions with type, size and content, and files whose
 * sources are named roles (the payload, a generated boot file). Built-in layouts are listed here;
 * a board profile names one in `storage.layout`.
 */
import { UsageError } from '../core/errors.js';

export type FileSource =
  /** The payload file as given (e.g. a UEFI application). */
  | { kind: 'payload' }
  /** The flat payload wrapped as a legacy U-Boot kernel image at the board's load address. */
  | { kind: 'payload-uimage' }
  /** A U-Boot script image (`boot.scr`) that loads `file` from the boot partition and `bootm`s it. */
  | { kind: 'uboot-script'; loads: string }
  /** Every firmware artefact of the boot chain, under its own file name in the directory `to` ('' = root). */
  | { kind: 'firmware-files' }
  /** extlinux.conf whose single label boots `kernel` (a path on the same partition). */
  | { kind: 'extlinux'; kernel: string; append?: string }
  /** The Raspberry Pi `config.txt` generated from the profile and its driver set. */
  | { kind: 'rpi-config-txt' }
  /** The flat payload under the kernel name config.txt gives (`to` is ignored). */
  | { kind: 'rpi-kernel' };

export interface LayoutFile {
  /** Path inside the filesystem, `/`-separated. */
  to: string;
  from: FileSource;
}

export type PartitionContent =
  | { kind: 'fat'; fatType?: 12 | 16 | 32 | 'auto'; label?: string; files: LayoutFile[] }
  /** The artefact of the boot-chain stage of this kind (e.g. `spl`), written raw at the partition start. */
  | { kind: 'raw'; stage: string }
  | { kind: 'empty' };

export interface LayoutPartition {
  name: string;
  /** MBR: a type byte ('0x0c'); GPT: a GUID or an alias (esp, linux, fat32, sifive-spl, sifive-uboot). */
  type: string;
  bootable?: boolean;
  /** Bytes from the disk start; default: the next aligned offset. */
  offset?: number;
  /** Bytes, or 'fill' (what is left of `--size`). */
  size: number | 'fill';
  /** The last partition only: `size` is its minimum, and it grows to the end when `--size` is larger. */
  grow?: boolean;
  content: PartitionContent;
}

export interface ImageLayout {
  id: string;
  description: string;
  table: 'mbr' | 'gpt';
  /** Partition start alignment in bytes (1 MiB: what sfdisk and sgdisk default to). */
  align: number;
  partitions: LayoutPartition[];
}

const MiB = 1024 * 1024;

const UBOOT_DISTRO: ImageLayout = {
  id: 'uboot-distro',
  description: "U-Boot distro boot from a disk: one FAT partition with boot.scr, which loads the payload (a legacy kernel image) and bootm's it",
  table: 'mbr',
  align: MiB,
  partitions: [
    {
      name: 'boot',
      // 0x0E: FAT16 with LBA addressing (the volume is FAT16: 32 MiB of 512-byte clusters).
      type: '0x0e',
      bootable: true,
      size: 32 * MiB,
      grow: true,
      content: {
        kind: 'fat',
        fatType: 16,
        label: 'BOOT',
        files: [
          { to: 'boot.scr', from: { kind: 'uboot-script', loads: 'boardkit.uimg' } },
          { to: 'boardkit.uimg', from: { kind: 'payload-uimage' } },
        ],
      },
    },
  ],
};

/** Like uboot-distro, but distro boot finds extlinux/extlinux.conf (it looks for it before boot.scr). */
const UBOOT_EXTLINUX: ImageLayout = {
  id: 'uboot-extlinux',
  description: 'U-Boot distro boot from a disk through extlinux/extlinux.conf, whose label boots the payload as a legacy kernel image',
  table: 'mbr',
  align: MiB,
  partitions: [
    {
      name: 'boot',
      type: '0x0e',
      bootable: true,
      size: 32 * MiB,
      grow: true,
      content: {
        kind: 'fat',
        fatType: 16,
        label: 'BOOT',
        files: [
          { to: 'extlinux/extlinux.conf', from: { kind: 'extlinux', kernel: '/boardkit.uimg' } },
          { to: 'boardkit.uimg', from: { kind: 'payload-uimage' } },
        ],
      },
    },
  ],
};

const GPT_ESP: ImageLayout = {
  id: 'gpt-esp',
  description: 'UEFI: a GPT disk with one EFI System Partition holding the payload at EFI/BOOT/BOOTX64.EFI (the removable-media path, UEFI 2.10 §3.5.1.1)',
  table: 'gpt',
  align: MiB,
  partitions: [
    {
      name: 'ESP',
      type: 'esp',
      size: 64 * MiB,
      grow: true,
      content: { kind: 'fat', fatType: 32, label: 'ESP', files: [{ to: 'EFI/BOOT/BOOTX64.EFI', from: { kind: 'payload' } }] },
    },
  ],
};

const RPI_MBR_FAT32: ImageLayout = {
  id: 'rpi-mbr-fat32',
  description: "Raspberry Pi: an MBR disk with one bootable FAT32 partition (type 0x0C) holding the VideoCore firmware, config.txt and the kernel it names",
  table: 'mbr',
  align: MiB,
  partitions: [
    {
      name: 'boot',
      type: '0x0c',
      bootable: true,
      size: 64 * MiB,
      grow: true,
      content: {
        kind: 'fat',
        fatType: 32,
        label: 'BOOT',
        files: [
          { to: '', from: { kind: 'firmware-files' } },
          { to: 'config.txt', from: { kind: 'rpi-config-txt' } },
          { to: '', from: { kind: 'rpi-kernel' } },
        ],
      },
    },
  ],
};

/**
 * SiFive FU540/FU740: the mask ROM (MSEL 11) reads the partition with the SPL type GUID, the SPL the
 * one with the U-Boot type GUID; U-Boot doc/board/sifive/unmatched.rst places them at LBA 34 and
 * 2082 (`sgdisk -n 1:34:2081 -t 1:5B193300-… -n 2:2082:10273 -t 2:2E54B353-…`). Distro boot then
 * reads boot.scr from the partition marked legacy-BIOS-bootable.
 */
const SIFIVE_GPT_SPL: ImageLayout = {
  id: 'sifive-gpt-spl',
  description: 'SiFive HiFive: GPT with U-Boot SPL at LBA 34 and the U-Boot ITB at LBA 2082 (their type GUIDs), then a bootable FAT partition for distro boot',
  table: 'gpt',
  align: MiB,
  partitions: [
    { name: 'spl', type: 'sifive-spl', offset: 34 * 512, size: 2048 * 512, content: { kind: 'raw', stage: 'spl' } },
    { name: 'uboot', type: 'sifive-uboot', offset: 2082 * 512, size: 8192 * 512, content: { kind: 'raw', stage: 'sbi' } },
    {
      name: 'boot',
      type: 'fat32',
      bootable: true,
      size: 32 * MiB,
      content: {
        kind: 'fat',
        fatType: 16,
        label: 'BOOT',
        files: [
          { to: 'boot.scr', from: { kind: 'uboot-script', loads: 'boardkit.uimg' } },
          { to: 'boardkit.uimg', from: { kind: 'payload-uimage' } },
        ],
      },
    },
  ],
};

export const BUILTIN_LAYOUTS: Readonly<Record<string, ImageLayout>> = { 'uboot-distro': UBOOT_DISTRO, 'uboot-extlinux': UBOOT_EXTLINUX, 'gpt-esp': GPT_ESP, 'rpi-mbr-fat32': RPI_MBR_FAT32, 'sifive-gpt-spl': SIFIVE_GPT_SPL };

/**
 * Profile layout names that mean a built-in layout: `virtio-raw` (the virt boards' disk) is booted
 * by U-Boot's distro boot, so its image is the `uboot-distro` layout.
 */
const LAYOUT_ALIASES: Readonly<Record<string, string>> = { 'virtio-raw': 'uboot-distro' };

export function findLayout(name: string): ImageLayout {
  const id = LAYOUT_ALIASES[name] ?? name;
  const layout = BUILTIN_LAYOUTS[id];
  if (!layout) {
    throw new UsageError(`no image layout '${name}'`, { hint: `built-in layouts: ${Object.keys(BUILTIN_LAYOUTS).join(', ')}` });
  }
  return layout;
}
