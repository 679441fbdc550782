/*
 * x86_64 UEFI application entry (UEFI 2.9 §4.1: efi_main(ImageHandle, SystemTable) in the MS x64
 * ABI). Disables the 5-minute boot watchdog (§7.5.1 SetWatchdogTimer), installs exception
 * handlers for vectors 0-31 through the CPU Architectural Protocol so a fault prints the
 * BOARDKIT fault line (rip, cr2, vector | error code << 32), then runs the report. Time is the
 * TSC, calibrated against BootServices->Stall.
 */
#include "bk.h"
#include "efi.h"

efi_system_table *bk_efi_st;
efi_handle bk_efi_image;
static uint64_t tsc_per_us = 1;
static int handlers_installed;

void bk_main(void);

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

uint64_t bk_now_us(void) { return rdtsc() / tsc_per_us; }

static void on_exception(int64_t type, efi_system_context_x64 *ctx) {
  bk_fault(ctx->rip, ctx->cr2, (uint64_t)type | ctx->exception_data << 32);
}

static const efi_guid cpu_arch_guid = {0x26baccb1, 0x6f42, 0x11d4, {0xbc, 0xe7, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81}};

efi_status efi_main(efi_handle image, efi_system_table *st) {
  bk_efi_image = image;
  bk_efi_st = st;
  efi_boot_services *bs = st->boot_services;
  bs->set_watchdog_timer(0, 0, 0, 0);
  uint64_t t0 = rdtsc();
  bs->stall(10000);
  uint64_t per = (rdtsc() - t0) / 10000u;
  tsc_per_us = per ? per : 1;
  efi_cpu_arch *cpu = 0;
  if (bs->locate_protocol(&cpu_arch_guid, 0, (void **)&cpu) == EFI_SUCCESS && cpu) {
    for (int64_t v = 0; v < 32; v++)
      if (cpu->register_interrupt_handler(cpu, v, on_exception) == EFI_SUCCESS) handlers_installed++;
  }
  bk_main();
  return EFI_SUCCESS;
}

void bk_poweroff(void) {
#if BK_EXIT_EFI_RESET
  bk_efi_st->runtime_services->reset_system(EFI_RESET_SHUTDOWN, EFI_SUCCESS, 0, 0);
#endif
}

void bk_halt(void) {
  for (;;) __asm__ volatile("hlt");
}

void bk_arch_describe(struct bk_buf *b) {
  bk_buf_puts(b, "uefi=");
  bk_buf_dec(b, bk_efi_st->hdr.revision >> 16);
  bk_buf_puts(b, ".");
  bk_buf_dec(b, (bk_efi_st->hdr.revision & 0xffff) / 10);
  bk_buf_puts(b, " fault-handlers=");
  bk_buf_dec(b, (uint64_t)handlers_installed);
}

void bk_arch_fault_probe(void) {
  /* Non-canonical address: #GP, vector 13 (Intel SDM vol. 3A §6.15). */
  (void)*(volatile uint32_t *)(uintptr_t)0x8000000000000000ull;
}
