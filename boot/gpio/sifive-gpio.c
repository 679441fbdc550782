/*
 * SiFive GPIO (SiFive FU540-C000 Manual v1p0, ch. 12 "GPIO", Table 12.2): input_val 0x00,
 * input_en 0x04, output_en 0x08, output_val 0x0C, pue 0x10, out_xor 0x40. Line arg[0] drives an
 * output the host can observe: on the HiFive Unleashed (and QEMU sifive_u) GPIO 10 is the
 * active-low "gpio-restart" line, so pulling it low resets the SoC and the host sees a QMP RESET
 * event. The line is first driven high (inactive) and reported; the low pulse is deferred until
 * after the result line, because it ends the run.
 */
#include "bk.h"

#define INPUT_EN 0x04u
#define OUTPUT_EN 0x08u
#define OUTPUT_VAL 0x0cu
#define OUT_XOR 0x40u

static void pulse_low(const struct bk_dev *dev) {
  uint32_t bit = 1u << dev->arg[0];
  bk_w32(dev->base + OUTPUT_VAL, bk_r32(dev->base + OUTPUT_VAL) & ~bit);
  bk_udelay(200000);
  /* Still running: the line reached no reset logic. Say so after the report. */
  bk_puts("BOARDKIT gpio=no-effect\n");
}

int bk_drv_sifive_gpio(const struct bk_dev *dev, struct bk_buf *d) {
  uintptr_t b = dev->base;
  uint32_t line = dev->arg[0], bit = 1u << line;
  bk_w32(b + OUT_XOR, bk_r32(b + OUT_XOR) & ~bit);
  bk_w32(b + INPUT_EN, bk_r32(b + INPUT_EN) & ~bit);
  bk_w32(b + OUTPUT_VAL, bk_r32(b + OUTPUT_VAL) | bit); /* inactive (high) before enabling */
  bk_w32(b + OUTPUT_EN, bk_r32(b + OUTPUT_EN) | bit);
  bk_buf_puts(d, "line=");
  bk_buf_dec(d, line);
  if (!(bk_r32(b + OUTPUT_EN) & bit) || !(bk_r32(b + OUTPUT_VAL) & bit)) {
    bk_buf_puts(d, ",readback-mismatch");
    return -1;
  }
  bk_buf_puts(d, ",mode=output,action=low-pulse-after-report");
  bk_defer(pulse_low, dev);
  return 0;
}
