/**
 * Boot files generated from the board facts: the U-Boot distro-boot script and the legacy kernel
 * image header around the flat payload. The payload itself is never held in memory: its header is
 * built from its size and CRC32 (computed while streaming) and the contents follow it on disk.
 */
import type { ImageFacts } from '../boards/plan.js';
import { UsageError } from '../core/errors.js';
import { hex } from '../core/units.js';
import { encodeScriptImage, UIMAGE_HEADER_SIZE, UImageArch, UImageComp, UImageOs, UImageType, crc32 } from '../protocols/uimage.js';

const ARCH: Record<ImageFacts['arch'], number> = { riscv64: UImageArch.riscv, aarch64: UImageArch.arm64, x86_64: UImageArch.x86_64 };

/**
 * The distro-boot script. U-Boot's `scan_dev_for_scripts` (include/config_distro_bootcmd.h) sets
 * `devtype`, `devnum` and `distro_bootpart` before it sources boot.scr, so the script loads from the
 * partition it was found on. `bootm` rather than `go`: see src/netboot/uboot-script.ts.
 */
export function distroBootScriptText(payloadFile: string): string {
  return [
    'echo boardkit: distro boot script',
    `load \${devtype} \${devnum}:\${distro_bootpart} \${kernel_addr_r} /${payloadFile}`,
    'bootm ${kernel_addr_r} - ${fdtcontroladdr}',
    '',
  ].join('\n');
}

export function distroBootScript(facts: ImageFacts, payloadFile: string, epoch: number): Uint8Array {
  return encodeScriptImage(distroBootScriptText(payloadFile), { arch: ARCH[facts.arch], name: 'boardkit distro boot', time: epoch });
}

/**
 * The 64-byte legacy header for a `mkimage -T kernel -C none -a LOAD -e LOAD` image of a payload
 * of `size` bytes whose CRC32 is `dataCrc` (U-Boot include/image.h; see src/protocols/uimage.ts).
 */
export function payloadUImageHeader(facts: ImageFacts, size: number, dataCrc: number, epoch: number): Uint8Array {
  const load = facts.loadAddress;
  if (load === undefined) throw new UsageError('the board has no load address for a U-Boot-loaded payload', { hint: 'set memory.loadAddress in the board profile' });
  if (load > 0xffffffff) throw new UsageError(`load address ${hex(load)} does not fit a legacy uImage header (32 bits)`);
  const h = new Uint8Array(UIMAGE_HEADER_SIZE);
  const v = new DataView(h.buffer);
  v.setUint32(0, 0x27051956);
  v.setUint32(8, epoch >>> 0);
  v.setUint32(12, size);
  v.setUint32(16, load);
  v.setUint32(20, load);
  v.setUint32(24, dataCrc >>> 0);
  h[28] = UImageOs.linux;
  h[29] = ARCH[facts.arch];
  h[30] = UImageType.kernel;
  h[31] = UImageComp.none;
  h.set(new TextEncoder().encode('boardkit payload'), 32);
  v.setUint32(4, crc32(h));
  return h;
}
