/*
 * ARM PrimeCell GPIO PL061 (ARM DDI 0190B §3.3, Table 3-1): GPIODATA 0x000-0x3FC (address bits
 * [9:2] mask the lines), GPIODIR 0x400 (1 = output), GPIOIS 0x404 (0 = edge), GPIOIBE 0x408,
 * GPIOIEV 0x40C (1 = rising), GPIORIS 0x414 (raw, latched regardless of GPIOIE), GPIOIC 0x41C.
 *
 * Two effects the host checks (src/payload/gpio-oracle.ts):
 * - output: the other seven lines get a direction and data pattern derived from this run's nonce
 *   (GPIODIR, GPIODATA through the all-lines mask 0x3FC); the host reads both registers over the
 *   QEMU monitor while the payload waits. On QEMU virt only line 3 is wired (an input), so the
 *   other lines drive nothing.
 * - input: the host causes a secret number of rising edges on line arg[0] (QMP
 *   `system_powerdown` pulses line 3 through the gpio-key device, hw/arm/virt.c
 *   create_gpio_keys, high for 100 ms). The driver acknowledges each edge with a
 *   `BOARDKIT gpio=edge n=K` line, so the host sends the next only after it was counted, and
 *   reports `edges=K` once no edge came for BK_PL061_QUIET_MS.
 */
#include "bk.h"

#define GPIODATA_ALL 0x3fcu /* address bits [9:2] all set: every line */
#define GPIODIR 0x400u
#define GPIOIS 0x404u
#define GPIOIBE 0x408u
#define GPIOIEV 0x40cu
#define GPIORIS 0x414u
#define GPIOIC 0x41cu

/* After an edge, how long to wait for the next one before reporting the count. The host sends
 * the next pulse ~250 ms after it sees the acknowledgement; this leaves room for a loaded host. */
#define BK_PL061_QUIET_MS 2500u

static void put_line(const char *a, uint64_t n, const char *b, uint64_t m) {
  char tmp[64];
  struct bk_buf t = {tmp, 0, sizeof tmp};
  bk_buf_puts(&t, a);
  bk_buf_dec(&t, n);
  if (b) {
    bk_buf_puts(&t, b);
    bk_buf_dec(&t, m);
  }
  bk_puts(tmp);
  bk_putc('\n');
}

#if !BK_SKIP_GPIO
/* Waits until `end_us` for a latched rising edge on `bit`; clears it and returns 1 if one came. */
static int wait_edge(uintptr_t b, uint32_t bit, uint64_t end_us) {
  while (!(bk_r32(b + GPIORIS) & bit))
    if (bk_now_us() >= end_us) return 0;
  bk_w32(b + GPIOIC, bit);
  return 1;
}
#endif

int bk_drv_pl061(const struct bk_dev *dev, struct bk_buf *d) {
  uintptr_t b = dev->base;
  uint32_t line = dev->arg[0], bit = 1u << line;
  uint32_t dir = bk_gpio_secret_byte(0) & ~bit & 0xffu;
  if (!dir) dir = ~bit & 0xffu;
  uint32_t data = bk_gpio_secret_byte(1) & dir;
#if !BK_SKIP_GPIO
  bk_w32(b + GPIODIR, dir);                      /* the watched line stays an input */
  bk_w32(b + GPIODATA_ALL, data);                /* only output lines take the value */
  bk_w32(b + GPIOIS, bk_r32(b + GPIOIS) & ~bit); /* edge-sensitive */
  bk_w32(b + GPIOIBE, bk_r32(b + GPIOIBE) & ~bit); /* single edge */
  bk_w32(b + GPIOIEV, bk_r32(b + GPIOIEV) | bit);  /* rising */
  bk_w32(b + GPIOIC, bit);                         /* clear a stale latch */
  if ((bk_r32(b + GPIODIR) & 0xffu) != dir || (bk_r32(b + GPIODATA_ALL) & dir) != data) {
    bk_buf_puts(d, "line=");
    bk_buf_dec(d, line);
    bk_buf_puts(d, ",readback-mismatch");
    return -1;
  }
#endif
  bk_buf_puts(d, "line=");
  bk_buf_dec(d, line);
  put_line("BOARDKIT gpio=waiting line=", line, " timeout-ms=", bk_config.gpio_wait_ms);
  uint64_t start = bk_now_us();
#if BK_SKIP_GPIO
  /* Test-only variant: writes nothing above, and claims one edge after a plausible wait
   * without reading the controller. */
  bk_udelay(1000000u);
  uint32_t edges = 1;
#else
  uint32_t edges = 0;
  uint64_t end = start + (uint64_t)bk_config.gpio_wait_ms * 1000u;
  while (wait_edge(b, bit, end)) {
    edges++;
    put_line("BOARDKIT gpio=edge n=", edges, 0, 0);
    end = bk_now_us() + BK_PL061_QUIET_MS * 1000ull;
  }
#endif
  if (!edges) {
    bk_buf_puts(d, ",edge=none,waited-ms=");
    bk_buf_dec(d, bk_config.gpio_wait_ms);
    return -1;
  }
  bk_buf_puts(d, ",edge=rising,edges=");
  bk_buf_dec(d, edges);
  bk_buf_puts(d, ",out=nonce,waited-ms=");
  bk_buf_dec(d, (bk_now_us() - start) / 1000u);
  return 0;
}
