/*
 * riscv64 S-mode entry after OpenSBI fw_jump/fw_dynamic (OpenSBI docs/firmware/fw.md: a0 = hart
 * id, a1 = DTB address). Sets up a stack, clears .bss, installs the trap vector and calls
 * bk_main. Traps land in bk_trap, which prints the fault line (scause/sepc/stval, RISC-V
 * Privileged Spec v1.12 §4.1.7-4.1.9) and stops.
 */
  .file "start.S"
  .section .text.boot, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la sp, __stack_top
  .option pop
  la t0, bk_boot_hartid
  sd a0, 0(t0)
  la t0, bk_boot_dtb
  sd a1, 0(t0)
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  la t0, bk_trap
  csrw stvec, t0
  csrw sie, zero
  call bk_main
3:
  wfi
  j 3b

  .balign 4
bk_trap:
  la sp, __stack_top
  csrr a0, sepc
  csrr a1, stval
  csrr a2, scause
  call bk_fault
4:
  wfi
  j 4b

  /* Written before .bss is cleared, so they live in .data. */
  .section .data
  .balign 8
  .globl bk_boot_hartid, bk_boot_dtb
bk_boot_hartid: .dword 0
bk_boot_dtb: .dword 0
