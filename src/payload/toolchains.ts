/**
 * Cross toolchains per arch, as data: the tools, the Debian package that provides each (so a
 * missing one fails with an install hint), and the flags. Flags favour reproducibility: no debug
 * info, no build id, path prefixes mapped, and a PE without a timestamp (`/Brepro`).
 */
import type { PayloadArch } from './spec.js';

export interface ToolRef {
  tool: string;
  debianPackage: string;
}

export interface Toolchain {
  cc: ToolRef;
  /** ELF → flat binary; absent for PE output. */
  objcopy?: ToolRef;
  /** Linker the compiler driver calls; checked up front so its absence is named clearly. */
  linker?: ToolRef;
  cflags: readonly string[];
  ldflags: readonly string[];
  /** Libraries, placed after the sources so the linker resolves their references. */
  libs: readonly string[];
}

const COMMON_CFLAGS = [
  '-O2',
  '-std=gnu11',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-fno-unwind-tables',
  '-fno-common',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
];

const ELF_LDFLAGS = ['-nostdlib', '-nostartfiles', '-static', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments'];

export const TOOLCHAINS: Readonly<Record<PayloadArch, Toolchain>> = {
  riscv64: {
    cc: { tool: 'riscv64-unknown-elf-gcc', debianPackage: 'gcc-riscv64-unknown-elf' },
    objcopy: { tool: 'riscv64-unknown-elf-objcopy', debianPackage: 'binutils-riscv64-unknown-elf' },
    // zicsr/zifencei are separate extensions since binutils 2.38 (RISC-V ISA manual 20191213).
    cflags: [...COMMON_CFLAGS, '-march=rv64imac_zicsr_zifencei', '-mabi=lp64', '-mcmodel=medany', '-mno-relax', '-fno-pic'],
    ldflags: ELF_LDFLAGS,
    // No libgcc: Debian's riscv64-unknown-elf libgcc is lp64d only; rv64imac needs none of it.
    libs: [],
  },
  aarch64: {
    cc: { tool: 'aarch64-linux-gnu-gcc', debianPackage: 'gcc-aarch64-linux-gnu' },
    objcopy: { tool: 'aarch64-linux-gnu-objcopy', debianPackage: 'binutils-aarch64-linux-gnu' },
    // MMU off ⇒ all memory is Device-nGnRnE and unaligned accesses fault (ARM DDI 0487 B2.5.2).
    cflags: [...COMMON_CFLAGS, '-march=armv8-a', '-mgeneral-regs-only', '-mstrict-align', '-fno-pie'],
    ldflags: [...ELF_LDFLAGS, '-no-pie', '-Wl,-z,max-page-size=4096'],
    libs: ['-lgcc'],
  },
  x86_64: {
    cc: { tool: 'clang', debianPackage: 'clang' },
    linker: { tool: 'lld-link', debianPackage: 'lld' },
    cflags: [
      ...COMMON_CFLAGS.filter((f) => f !== '-std=gnu11'),
      '-std=gnu11',
      '-target',
      'x86_64-unknown-windows',
      '-fshort-wchar',
      '-mno-red-zone',
      '-mno-stack-arg-probe',
      '-fno-ms-extensions',
    ],
    ldflags: ['-nostdlib', '-fuse-ld=lld-link', '-Wl,-entry:efi_main', '-Wl,-subsystem:efi_application', '-Wl,-Brepro'],
    libs: [],
  },
};
