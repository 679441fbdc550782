/*
 * EL1 exception vectors (ARM DDI 0487 D1.10.2: 16 entries of 0x80 bytes, table aligned to 2 KiB).
 * Every entry reports ELR_EL1 (pc), FAR_EL1 (addr) and ESR_EL1 (cause), with the entry index in
 * bits 32+ of cause (e.g. 4 = synchronous from current EL with SP_ELx), then stops.
 */
  .file "vectors.S"
  .section .text, "ax"
  .balign 2048
  .globl bk_vectors
bk_vectors:
  .irp idx, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
  .balign 128
  mov x3, #\idx
  b bk_vector_common
  .endr

bk_vector_common:
  ldr x9, =__stack_top
  mov sp, x9
  mrs x0, elr_el1
  mrs x1, far_el1
  mrs x2, esr_el1
  orr x2, x2, x3, lsl #32
  bl bk_fault
1:
  wfe
  b 1b
