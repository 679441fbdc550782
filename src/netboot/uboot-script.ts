import { hex } from '../core/units.js';
import { encodeScriptImage, UImageArch } from '../protocols/uimage.js';

export interface NetbootScriptOptions {
  /** Where the payload is linked and loaded (it is not relocatable). */
  loadAddress: number;
  /** The TFTP name of the payload. */
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

/** The text of the script: fetch the payload over TFTP to its link address, then jump to it. */
export function netbootScriptText(o: NetbootScriptOptions): string {
  const lines = ['echo boardkit: netboot script'];
  if (o.windowsize !== undefined) lines.push(`setenv tftpwindowsize ${o.windowsize}`);
  if (o.timeoutMs !== undefined) lines.push(`setenv tftptimeout ${o.timeoutMs}`);
  if (o.blksize !== undefined) lines.push(`setenv tftpblocksize ${o.blksize}`);
  // `go` hands control to a bare-metal entry point (no image header needed, unlike booti/bootm).
  lines.push(`tftpboot ${hex(o.loadAddress)} ${o.file}`, `go ${hex(o.loadAddress)}`, '');
  return lines.join('\n');
}

/** `boot.scr.uimg` as U-Boot's distro boot fetches it after DHCP (`mkimage -T script`). */
export function netbootScript(o: NetbootScriptOptions): Uint8Array {
  return encodeScriptImage(netbootScriptText(o), { arch: ARCH[o.arch], name: 'boardkit netboot' });
}
