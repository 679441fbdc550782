/* aarch64 EL1 runtime: generic timer (ARM DDI 0487 D11.2), PSCI poweroff, halt. */
#include "bk.h"

extern uint64_t bk_entry_el, bk_boot_dtb;

static uint64_t timer_hz(void) {
#ifdef BK_TIMER_HZ
  return BK_TIMER_HZ;
#else
  uint64_t f;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
  return f ? f : 62500000ull; /* QEMU's default when firmware left CNTFRQ_EL0 unset */
#endif
}

uint64_t bk_now_us(void) {
  uint64_t c;
  __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(c));
  return c / (timer_hz() / 1000000ull);
}

void bk_poweroff(void) {
  /* PSCI SYSTEM_OFF, function id 0x84000008 (ARM DEN 0022D §5.1.9). */
#if BK_EXIT_PSCI_HVC
  register uint64_t x0 __asm__("x0") = 0x84000008ull;
  __asm__ volatile("hvc #0" : "+r"(x0)::"memory");
#elif BK_EXIT_PSCI_SMC
  register uint64_t x0 __asm__("x0") = 0x84000008ull;
  __asm__ volatile("smc #0" : "+r"(x0)::"memory");
#endif
}

void bk_halt(void) {
  for (;;) __asm__ volatile("wfe");
}

void bk_arch_describe(struct bk_buf *b) {
  bk_buf_puts(b, "entry-el=");
  bk_buf_dec(b, bk_entry_el);
  bk_buf_puts(b, " el=1 dtb=");
  bk_buf_hex(b, bk_boot_dtb);
}

void bk_arch_fault_probe(void) {
  /* Above the implemented PA range (MMU off): synchronous data abort (ESR EC 0x25). */
  (void)*(volatile uint32_t *)(uintptr_t)0x100000000000ull;
}
