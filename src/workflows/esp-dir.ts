/**
 * A directory laid out as an EFI System Partition for QEMU's `fat:` drive: the payload at the
 * removable-media boot path, which firmware boots without any boot entry (UEFI 2.10 §3.5.1.1;
 * the file name for x64 is BOOTX64.EFI).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const X64_REMOVABLE_BOOT_PATH = ['EFI', 'BOOT', 'BOOTX64.EFI'] as const;

/** Puts `efi` (bytes, or a file to copy) at `<dir>/EFI/BOOT/BOOTX64.EFI`; returns `dir`. */
export async function stageEspDir(dir: string, efi: Uint8Array | string): Promise<string> {
  const target = join(dir, ...X64_REMOVABLE_BOOT_PATH);
  await mkdir(join(target, '..'), { recursive: true });
  if (typeof efi === 'string') await copyFile(efi, target);
  else await writeFile(target, efi);
  return dir;
}
