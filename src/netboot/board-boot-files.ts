/**
 * What a netboot server hands one board, derived from its profile's `netboot` data only:
 *
 * - `uboot-script` (vendor class `U-Boot*`): DHCP names the generated `boot.scr.uimg`; the script
 *   fetches the payload (as a legacy kernel image) and `bootm`s it at the profile's load address.
 * - `pxe` (vendor class `PXEClient*` with the `pxe` protocol, e.g. UEFI PXE, option 93 from
 *   `clientArch`): DHCP names `bootFile`, and that file IS the payload (a UEFI application).
 *
 * - `rpi-firmware` (boot protocol `rpi-firmware`): the Pi ROM/EEPROM fetches its firmware chain
 *   (bootcode.bin, start*.elf, fixup*.dat from the artefact cache, given by the caller), a
 *   `config.txt` generated from the profile (its entries plus what the driver set's controllers
 *   need, e.g. `enable_uart=1`), and the payload as the kernel config.txt names. DHCP adds option 43
 *   "Raspberry Pi Boot". The Pi asks for `<serial>/NAME` first: `stripPiSerialPrefix` serves those.
 */
import { netbootFlow, rpiConfigTxt, rpiKernelName, type NetbootFlow } from '../boards/plan.js';
import type { BoardProfile } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
import type { BootRule } from '../protocols/dhcp/boot-rules.js';
import { netbootPayloadImage, netbootScript } from './uboot-script.js';

export type { NetbootFlow } from '../boards/plan.js';
export { netbootFlow, rpiConfigTxt, rpiKernelName };

export interface BoardBootFiles {
  flow: NetbootFlow;
  /** The name DHCP puts in `file`. */
  bootFile: string;
  /** TFTP name → bytes. */
  files: Record<string, Uint8Array>;
  /** DHCP rule matching this board's client (vendor class, architecture) to its boot file. */
  bootRule: BootRule;
}

export interface BoardBootFilesOptions {
  /** Base name for the payload file in the U-Boot flow (default `payload`). */
  payloadName?: string;
  /** U-Boot `tftpwindowsize` / `tftptimeout` (ms) / `tftpblocksize` for the payload transfer. */
  windowsize?: number;
  timeoutMs?: number;
  blksize?: number;
  /** rpi-firmware flow: the firmware files by TFTP name (from the artefact cache). */
  firmware?: Record<string, Uint8Array>;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const PE_MAGIC = [0x4d, 0x5a]; // "MZ" (PE/COFF, UEFI 2.10 §2.1.1)

/** The DHCP rule matching this board's client to its boot file, from the profile's netboot facts only. */
export function boardBootRule(profile: BoardProfile, bootfile?: string): BootRule {
  const nb = profile.netboot!;
  if (netbootFlow(profile) === 'rpi-firmware') {
    return { name: profile.id, vendorClass: `${nb.vendorClass ?? 'PXEClient'}*`, raspberryPiBoot: true, bootfile: bootfile ?? nb.bootFile };
  }
  return {
    name: profile.id,
    ...(nb.vendorClass ? { vendorClass: `${nb.vendorClass}*` } : {}),
    ...(nb.clientArch !== undefined ? { arch: [nb.clientArch] } : {}),
    bootfile: bootfile ?? nb.bootFile,
  };
}

/** The files and DHCP rule that netboot `payload` on this board. */
export function boardBootFiles(profile: BoardProfile, payload: Uint8Array, o: BoardBootFilesOptions = {}): BoardBootFiles {
  const flow = netbootFlow(profile);
  const nb = profile.netboot!;
  const bootRule = boardBootRule(profile);
  if (flow === 'rpi-firmware') {
    if (!o.firmware || Object.keys(o.firmware).length === 0) {
      throw new UsageError(`board '${profile.id}' netboots its VideoCore firmware chain; no firmware files were given`, { hint: '`boardkit firmware fetch` puts them in the cache; netboot serve --board reads them from there' });
    }
    if (ELF_MAGIC.every((b, i) => payload[i] === b)) {
      throw new UsageError('the payload is an ELF file; the Pi firmware loads the flat kernel image', { hint: 'pass the .bin that `boardkit payload build` writes beside the ELF' });
    }
    const kernel = rpiKernelName(profile);
    return {
      flow,
      bootFile: nb.bootFile,
      files: { ...o.firmware, 'config.txt': new TextEncoder().encode(rpiConfigTxt(profile)), [kernel]: payload },
      bootRule,
    };
  }
  if (flow === 'pxe') {
    if (!PE_MAGIC.every((b, i) => payload[i] === b)) {
      throw new UsageError(`board '${profile.id}' PXE-boots '${nb.bootFile}', a UEFI application; the payload is not a PE/COFF file`, { hint: 'pass the .efi that `boardkit payload build` writes' });
    }
    return { flow, bootFile: nb.bootFile, files: { [nb.bootFile]: payload }, bootRule };
  }
  if (profile.memory.loadAddress === undefined) throw new UsageError(`board '${profile.id}' has no load address for a netbooted payload`);
  if (ELF_MAGIC.every((b, i) => payload[i] === b)) {
    throw new UsageError('the payload is an ELF file; U-Boot netboot wraps the flat binary', { hint: 'pass the .bin that `boardkit payload build` writes beside the ELF' });
  }
  const name = `${o.payloadName ?? 'payload'}.uimg`;
  const script = netbootScript({
    loadAddress: profile.memory.loadAddress,
    file: name,
    arch: profile.arch,
    ...(o.windowsize !== undefined ? { windowsize: o.windowsize } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.blksize !== undefined ? { blksize: o.blksize } : {}),
  });
  const image = netbootPayloadImage(payload, { loadAddress: profile.memory.loadAddress, arch: profile.arch });
  return { flow, bootFile: nb.bootFile, files: { [nb.bootFile]: script, [name]: image }, bootRule };
}

/** A Pi asks for `<serial>/NAME` (8 hex digits) before `NAME`: map both to the same file. */
export function stripPiSerialPrefix(name: string): string {
  return name.replace(/^\/*[0-9a-f]{8}\//i, '');
}
