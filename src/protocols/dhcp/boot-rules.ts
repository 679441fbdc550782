/**
 * Which clients we answer, and with which boot file: data, not code. A rule matches on vendor class
 * (option 60, glob with `*`), client architecture (option 93) and/or MAC prefix; the first matching
 * rule wins.
 */
import type { MacAddress } from '../net/address.js';

/** RFC 4578 §2.1 and the IANA "Processor Architecture Types" registry. */
export const ClientArch = {
  X86_BIOS: 0,
  X86_UEFI_IA32: 6,
  X64_UEFI: 7,
  /** Registered as "EFI x86-64" too; firmware in the wild sends 9 for x64 (IANA registry note). */
  X64_UEFI_ALT: 9,
  ARM32_UEFI: 10,
  ARM64_UEFI: 11,
  RISCV32_UEFI: 25,
  RISCV64_UEFI: 27,
} as const;

export interface BootRule {
  /** For events and diagnostics. */
  name: string;
  /** Glob on option 60 (`*` matches any run of characters); case-sensitive, as vendor classes are. */
  vendorClass?: string;
  /** Any of these option 93 values. */
  arch?: readonly number[];
  /** Any of these MAC prefixes (lowercase, colon-separated, e.g. `b8:27:eb`). */
  macPrefixes?: readonly string[];
  /** Boot file for `file` (and option 67 when enabled). Omit to send none. */
  bootfile?: string;
  /** Add option 43 "Raspberry Pi Boot" (with this menu description, or the default when true). */
  raspberryPiBoot?: boolean | string;
}

/** Vendor classes that identify a network boot client (the default allow-list). */
export const BOOT_VENDOR_CLASSES: readonly string[] = ['PXEClient*', 'U-Boot*', 'iPXE*', 'HTTPClient*'];

/**
 * Default rules: the UEFI removable-media file names (UEFI 2.10 §3.5.1.1) by architecture, and the
 * Raspberry Pi ROM/EEPROM, recognised by its Raspberry Pi Ltd / Foundation OUIs plus PXEClient
 * (it sends the same vendor class as an x86 BIOS PXE ROM, so the OUI is what tells them apart).
 */
export const DEFAULT_BOOT_RULES: readonly BootRule[] = [
  {
    name: 'raspberry-pi',
    vendorClass: 'PXEClient*',
    macPrefixes: ['b8:27:eb', 'dc:a6:32', 'e4:5f:01', 'd8:3a:dd', '28:cd:c1', '2c:cf:67'],
    raspberryPiBoot: true,
  },
  { name: 'uefi-x64', arch: [ClientArch.X64_UEFI, ClientArch.X64_UEFI_ALT], bootfile: 'bootx64.efi' },
  { name: 'uefi-ia32', arch: [ClientArch.X86_UEFI_IA32], bootfile: 'bootia32.efi' },
  { name: 'uefi-aa64', arch: [ClientArch.ARM64_UEFI], bootfile: 'bootaa64.efi' },
  { name: 'uefi-arm', arch: [ClientArch.ARM32_UEFI], bootfile: 'bootarm.efi' },
  { name: 'uefi-riscv64', arch: [ClientArch.RISCV64_UEFI], bootfile: 'bootriscv64.efi' },
  { name: 'uefi-riscv32', arch: [ClientArch.RISCV32_UEFI], bootfile: 'bootriscv32.efi' },
];

/** Anchored glob: `*` is the only wildcard; everything else is literal. */
export function globMatch(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === text;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!text.startsWith(first) || text.length < first.length + last.length || !text.endsWith(last)) return false;
  let pos = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = text.indexOf(parts[i]!, pos);
    if (at < 0 || at + parts[i]!.length > end) return false;
    pos = at + parts[i]!.length;
  }
  return true;
}

export interface ClientFacts {
  mac: MacAddress;
  vendorClass: string | undefined;
  arch: readonly number[];
}

export function ruleMatches(rule: BootRule, c: ClientFacts): boolean {
  if (rule.vendorClass !== undefined && (c.vendorClass === undefined || !globMatch(rule.vendorClass, c.vendorClass))) return false;
  if (rule.arch !== undefined && !rule.arch.some((a) => c.arch.includes(a))) return false;
  if (rule.macPrefixes !== undefined && !rule.macPrefixes.some((p) => c.mac.startsWith(p.toLowerCase()))) return false;
  return true;
}

export function firstMatchingRule(rules: readonly BootRule[], c: ClientFacts): BootRule | undefined {
  return rules.find((r) => ruleMatches(r, c));
}
