import { UsageError } from '../core/errors.js';
import { hex } from '../core/units.js';
import { BLKSIZE_MAX, BLKSIZE_MIN, WINDOWSIZE_MAX } from '../protocols/tftp/options.js';
import { encodeScriptImage, encodeUImage, UImageArch, UImageComp, UImageOs, UImageType } from '../protocols/uimage.js';

/** U-Boot raises a smaller `tftptimeout` to 1000 ms (net/tftp.c, "TFTP timeout ... too low"). */
export const UBOOT_TFTP_TIMEOUT_MIN_MS = 1000;

export interface NetbootScriptOptions {
  /** Where the payload is linked and must run (it is not relocatable). */
  loadAddress: number;
  /** The TFTP name of the payload image (`netbootPayloadImage`). */
  file: string;
  arch: 'riscv64' | 'aarch64' | 'x86_64';
  /** U-Boot `tftpwindowsize` (RFC 7440); U-Boot's default is 1. */
  windowsize?: number;
  /** U-Boot `tftptimeout` in ms (its floor is 1000). */
  timeoutMs?: number;
  /** U-Boot `tftpblocksize`. */
  blksize?: number;
}

const ARCH: Record<NetbootScriptOptions['arch'], number> = { riscv64: UImageArch.riscv, aarch64: UImageArch.arm64, x86_64: UImageArch.x86_64 };

/**
 * The text of the script: fetch the payload image to U-Boot's own staging address, then `bootm` it.
 *
 * Why `bootm` of a legacy kernel image and not `tftpboot <load>; go <load>`:
 * - `go` calls `flush()` before jumping; in U-Boot 2023.01 the PL011 driver's `pending(output)`
 *   answers "pending" whenever the TX FIFO is not full (drivers/serial/serial_pl01x.c), so on any
 *   PL011 console (qemu_arm64, Raspberry Pi) `go` spins forever after "## Starting application".
 * - `go` hands over with U-Boot's MMU and D-cache on and nothing cleaned; our payloads turn the
 *   MMU off at entry, so on real cores the code they run may still sit in dirty cache lines.
 *   `bootm` runs `cleanup_before_linux()` (clean + disable caches), removes DMA-active devices
 *   (the NIC stops writing into RAM) and passes the boot hart / FDT in the Linux registers.
 * - `${kernel_addr_r}` and `${fdtcontroladdr}` are U-Boot's own addresses for this board (distro
 *   boot env), so the staging copy cannot land on the device tree QEMU put at the start of RAM or
 *   on U-Boot itself; `bootm` then copies the data to the image's load address.
 */
export function netbootScriptText(o: NetbootScriptOptions): string {
  checkUbootTftpSettings(o);
  const lines = ['echo boardkit: netboot script'];
  if (o.windowsize !== undefined) lines.push(`setenv tftpwindowsize ${o.windowsize}`);
  if (o.timeoutMs !== undefined) lines.push(`setenv tftptimeout ${o.timeoutMs}`);
  if (o.blksize !== undefined) lines.push(`setenv tftpblocksize ${o.blksize}`);
  lines.push(`tftpboot \${kernel_addr_r} ${o.file}`, `bootm \${kernel_addr_r} - \${fdtcontroladdr}`, '');
  return lines.join('\n');
}

/**
 * The TFTP settings a netboot script may give U-Boot, checked before anything starts (a usage
 * error, so `run --tftp-windowsize 0` fails at argument validation, not as a silent default):
 * windowsize 1..65535 (RFC 7440 §3), timeout ≥ 1000 ms (U-Boot's floor), blksize 8..65464 (RFC 2348).
 */
export function checkUbootTftpSettings(o: { windowsize?: number | undefined; timeoutMs?: number | undefined; blksize?: number | undefined }): void {
  const inRange = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
  if (o.windowsize !== undefined && !inRange(o.windowsize, 1, WINDOWSIZE_MAX)) {
    throw new UsageError(`TFTP windowsize ${o.windowsize} is not a whole number in 1..${WINDOWSIZE_MAX} (RFC 7440)`, { hint: 'e.g. --tftp-windowsize 16' });
  }
  if (o.timeoutMs !== undefined && !inRange(o.timeoutMs, UBOOT_TFTP_TIMEOUT_MIN_MS, Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(`TFTP timeout ${o.timeoutMs} ms is below U-Boot's floor of ${UBOOT_TFTP_TIMEOUT_MIN_MS} ms (or not a whole number)`, { hint: `e.g. --tftp-timeout ${UBOOT_TFTP_TIMEOUT_MIN_MS}` });
  }
  if (o.blksize !== undefined && !inRange(o.blksize, BLKSIZE_MIN, BLKSIZE_MAX)) {
    throw new UsageError(`TFTP blksize ${o.blksize} is not a whole number in ${BLKSIZE_MIN}..${BLKSIZE_MAX} (RFC 2348)`);
  }
}

/** `boot.scr.uimg` as U-Boot's distro boot fetches it after DHCP (`mkimage -T script`). */
export function netbootScript(o: NetbootScriptOptions): Uint8Array {
  return encodeScriptImage(netbootScriptText(o), { arch: ARCH[o.arch], name: 'boardkit netboot' });
}

/**
 * The flat payload wrapped as `mkimage -A <arch> -O linux -T kernel -C none -a <load> -e <load>`:
 * what the script's `bootm` expects. Legacy headers hold 32-bit addresses (include/image.h).
 */
export function netbootPayloadImage(payload: Uint8Array, o: Pick<NetbootScriptOptions, 'loadAddress' | 'arch'>): Uint8Array {
  if (o.loadAddress < 0 || o.loadAddress > 0xffffffff) {
    throw new UsageError(`load address ${hex(o.loadAddress)} does not fit a legacy uImage header (32 bits)`, { hint: 'link the payload below 4 GiB for U-Boot netboot' });
  }
  return encodeUImage(payload, { arch: ARCH[o.arch], os: UImageOs.linux, type: UImageType.kernel, comp: UImageComp.none, load: o.loadAddress, entry: o.loadAddress, name: 'boardkit payload' });
}
