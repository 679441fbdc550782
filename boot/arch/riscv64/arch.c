/* riscv64 S-mode runtime: timer from the `time` CSR, SBI calls, halt. */
#include "bk.h"

extern uint64_t bk_boot_hartid, bk_boot_dtb;

#ifndef BK_TIMER_HZ
#error "bk-gen.h must define BK_TIMER_HZ (the DTB's timebase-frequency) for riscv64"
#endif

uint64_t bk_now_us(void) {
  uint64_t t;
  __asm__ volatile("rdtime %0" : "=r"(t));
  return t / (BK_TIMER_HZ / 1000000ull);
}

struct sbiret {
  long error, value;
};

/* SBI calling convention (RISC-V SBI spec v1.0 §3): a7 = EID, a6 = FID, result in a0/a1. */
__attribute__((unused)) static struct sbiret sbi_call(long eid, long fid, long a0, long a1) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r6 __asm__("a6") = fid;
  register long r7 __asm__("a7") = eid;
  __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
  return (struct sbiret){r0, r1};
}

void bk_poweroff(void) {
#if BK_EXIT_SBI_SRST
  /* System Reset extension "SRST" (SBI v1.0 §10.1): type 0 = shutdown, reason 0 = none. */
  sbi_call(0x53525354, 0, 0, 0);
  /* Legacy sbi_shutdown (SBI v0.1 §5.8) for older firmware. */
  sbi_call(0x08, 0, 0, 0);
#endif
}

void bk_halt(void) {
  for (;;) __asm__ volatile("wfi");
}

void bk_arch_describe(struct bk_buf *b) {
  bk_buf_puts(b, "mode=S hart=");
  bk_buf_dec(b, bk_boot_hartid);
  bk_buf_puts(b, " dtb=");
  bk_buf_hex(b, bk_boot_dtb);
}

void bk_arch_fault_probe(void) {
  /* Beyond any physical address QEMU or the FU540 decodes: load access fault (scause 5). */
  (void)*(volatile uint32_t *)(uintptr_t)0x100000000000ull;
}
