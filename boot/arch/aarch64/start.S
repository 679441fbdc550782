/*
 * aarch64 entry (ARM DDI 0487 D1.10 exception return). Raspberry Pi firmware and QEMU raspi
 * enter at EL2; QEMU virt `-kernel` enters at EL1 (EL3 when the machine has secure=on). Every
 * case ends at EL1h with the MMU off. Cores other than Aff0 == 0 park in WFE (QEMU's raspi boot
 * stub already holds them on the spin table; a real Pi 3 firmware does the same).
 */
  .file "start.S"
  .section .text.boot, "ax"
  .globl _start
_start:
  mrs x9, mpidr_el1
  and x9, x9, #0xff
  cbnz x9, park
  mov x19, x0                 /* DTB pointer if the loader passed one */
  mrs x20, CurrentEL
  lsr x20, x20, #2
  cmp x20, #3
  b.eq from_el3
  cmp x20, #2
  b.eq from_el2
  b at_el1

from_el3:
  /* SCR_EL3: NS(0) | RES1(4,5) | HCE(8) | RW(10): lower ELs are non-secure AArch64. */
  mov x9, #0x531
  msr scr_el3, x9
  mov x9, #(1 << 31)          /* HCR_EL2.RW: EL1 is AArch64 */
  msr hcr_el2, x9
  mov x9, #0x3c5              /* SPSR: EL1h, DAIF masked */
  msr spsr_el3, x9
  adr x9, at_el1
  msr elr_el3, x9
  eret

from_el2:
  mov x9, #(1 << 31)          /* HCR_EL2.RW */
  msr hcr_el2, x9
  mrs x9, cnthctl_el2
  orr x9, x9, #3              /* EL1PCTEN | EL1PCEN: EL1 may read the physical counter */
  msr cnthctl_el2, x9
  msr cntvoff_el2, xzr
  mov x9, #0x3c5
  msr spsr_el2, x9
  adr x9, at_el1
  msr elr_el2, x9
  eret

at_el1:
  /* SCTLR_EL1: RES1 bits 11, 20, 22, 23, 28, 29; M, A, C, I clear (MMU and caches off). */
  ldr x9, =0x30d00800
  msr sctlr_el1, x9
  mov x9, #(3 << 20)          /* CPACR_EL1.FPEN: no trap if the compiler ever uses FP/SIMD */
  msr cpacr_el1, x9
  isb
  ldr x9, =__stack_top
  mov sp, x9
  ldr x9, =bk_entry_el
  str x20, [x9]
  ldr x9, =bk_boot_dtb
  str x19, [x9]
  ldr x9, =__bss_start
  ldr x10, =__bss_end
1:
  cmp x9, x10
  b.hs 2f
  str xzr, [x9], #8
  b 1b
2:
  ldr x9, =bk_vectors
  msr vbar_el1, x9
  isb
  bl bk_main
park:
  wfe
  b park

  .section .data
  .balign 8
  .globl bk_entry_el, bk_boot_dtb
bk_entry_el: .dword 0
bk_boot_dtb: .dword 0
