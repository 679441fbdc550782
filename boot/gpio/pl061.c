/*
 * ARM PrimeCell GPIO PL061 (ARM DDI 0190B §3.3, Table 3-1): GPIODATA 0x000-0x3FC (address bits
 * [9:2] mask the lines), GPIODIR 0x400, GPIOIS 0x404 (0 = edge), GPIOIBE 0x408, GPIOIEV 0x40C
 * (1 = rising), GPIORIS 0x414 (raw, latched regardless of GPIOIE), GPIOIC 0x41C.
 * Waits for a rising edge on arg[0] that the host causes: on QEMU virt, QMP `system_powerdown`
 * pulses line 3 through the gpio-key device (hw/arm/virt.c, create_gpio_keys).
 */
#include "bk.h"

int bk_drv_pl061(const struct bk_dev *dev, struct bk_buf *d) {
  uintptr_t b = dev->base;
  uint32_t line = dev->arg[0], bit = 1u << line;
  bk_w32(b + 0x400, bk_r32(b + 0x400) & ~bit); /* input */
  bk_w32(b + 0x404, bk_r32(b + 0x404) & ~bit); /* edge-sensitive */
  bk_w32(b + 0x408, bk_r32(b + 0x408) & ~bit); /* single edge */
  bk_w32(b + 0x40c, bk_r32(b + 0x40c) | bit);  /* rising */
  bk_w32(b + 0x41c, bit);                      /* clear a stale latch */
  bk_buf_puts(d, "line=");
  bk_buf_dec(d, line);
  bk_puts("BOARDKIT gpio=waiting line=");
  {
    char tmp[24];
    struct bk_buf t = {tmp, 0, sizeof tmp};
    bk_buf_dec(&t, line);
    bk_buf_puts(&t, " timeout-ms=");
    bk_buf_dec(&t, bk_config.gpio_wait_ms);
    bk_puts(tmp);
  }
  bk_putc('\n');
  uint64_t start = bk_now_us(), end = start + (uint64_t)bk_config.gpio_wait_ms * 1000u;
  while (!(bk_r32(b + 0x414) & bit)) {
    if (bk_now_us() >= end) {
      bk_buf_puts(d, ",edge=none,waited-ms=");
      bk_buf_dec(d, bk_config.gpio_wait_ms);
      return -1;
    }
  }
  bk_w32(b + 0x41c, bit);
  bk_buf_puts(d, ",edge=rising,waited-ms=");
  bk_buf_dec(d, (bk_now_us() - start) / 1000u);
  return 0;
}
