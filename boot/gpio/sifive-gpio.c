/*
 * SiFive GPIO (SiFive FU540-C000 Manual v1p0, ch. 12 "GPIO", Table 12.2): input_val 0x00,
 * input_en 0x04, output_en 0x08, output_val 0x0C, pue 0x10, iof_sel 0x3C, out_xor 0x40.
 * Line arg[0] drives an output the host can observe: on the HiFive Unleashed (and QEMU sifive_u)
 * GPIO 10 is the active-low "gpio-restart" line, so pulling it low resets the SoC and the host
 * sees a QMP RESET event (hw/riscv/sifive_u.c sifive_u_machine_reset: reason guest-reset).
 *
 * Evidence that this driver, and not some other reset path (SBI SRST), did the work: before the
 * pulse it writes a pattern derived from this run's nonce into output_val and iof_sel of the
 * other lines. Neither changes a pin: output_val only reaches a pin whose output_en bit is set
 * (only line 10's is), and iof_sel only matters where iof_en is set (never here). It then prints
 * `BOARDKIT gpio=armed` and holds for the config's gpio wait, so the host can stop the machine,
 * read both registers and line 10's output_en/output_val over the monitor, and resume. A reset
 * clears every GPIO register (QEMU sifive_gpio_reset), so the pattern cannot outlive the pulse.
 *
 * The line is first driven high (inactive) and reported; the low pulse is deferred until after
 * the result line, because it ends the run. If the machine is still alive 200 ms after the
 * pulse, the line reached no reset logic: the payload says `gpio=no-effect` and `result=fail`.
 */
#include "bk.h"

#define INPUT_EN 0x04u
#define OUTPUT_EN 0x08u
#define OUTPUT_VAL 0x0cu
#define IOF_SEL 0x3cu
#define OUT_XOR 0x40u
#define LINES_MASK 0xffffu /* the FU540 GPIO has 16 lines (Table 12.1) */

#if BK_SKIP_GPIO
/* SBI System Reset extension (SBI v1.0 §10.1): EID "SRST", FID 0, type 1 = cold reboot. The
 * test-only variant resets the machine through the firmware instead of the GPIO line. */
static void sbi_reboot(void) {
  register long a0 __asm__("a0") = 1;
  register long a1 __asm__("a1") = 0;
  register long a6 __asm__("a6") = 0;
  register long a7 __asm__("a7") = 0x53525354;
  __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
}
#endif

static void pulse_low(const struct bk_dev *dev) {
  uint32_t bit = 1u << dev->arg[0];
  {
    char tmp[64];
    struct bk_buf t = {tmp, 0, sizeof tmp};
    bk_buf_puts(&t, "BOARDKIT gpio=armed line=");
    bk_buf_dec(&t, dev->arg[0]);
    bk_buf_puts(&t, " hold-ms=");
    bk_buf_dec(&t, bk_config.gpio_wait_ms);
    bk_puts(tmp);
    bk_putc('\n');
  }
  bk_udelay((uint64_t)bk_config.gpio_wait_ms * 1000u);
#if BK_SKIP_GPIO
  sbi_reboot();
#else
  bk_w32(dev->base + OUTPUT_VAL, bk_r32(dev->base + OUTPUT_VAL) & ~bit);
#endif
  bk_udelay(200000);
  /* Still running: the line reached no reset logic. The run fails on this line. */
  bk_puts("BOARDKIT gpio=no-effect status=fail\nBOARDKIT result=fail\n");
}

int bk_drv_sifive_gpio(const struct bk_dev *dev, struct bk_buf *d) {
  uintptr_t b = dev->base;
  uint32_t line = dev->arg[0], bit = 1u << line;
  uint32_t val = ((uint32_t)bk_gpio_secret_byte(0) | (uint32_t)bk_gpio_secret_byte(1) << 8 | bit) & LINES_MASK;
  uint32_t sel = ((uint32_t)bk_gpio_secret_byte(2) | (uint32_t)bk_gpio_secret_byte(3) << 8) & LINES_MASK & ~bit;
  bk_buf_puts(d, "line=");
  bk_buf_dec(d, line);
#if !BK_SKIP_GPIO
  bk_w32(b + OUT_XOR, bk_r32(b + OUT_XOR) & ~bit);
  bk_w32(b + INPUT_EN, bk_r32(b + INPUT_EN) & ~bit);
  bk_w32(b + OUTPUT_VAL, val); /* line 10 inactive (high) before its output is enabled */
  bk_w32(b + IOF_SEL, sel);
  bk_w32(b + OUTPUT_EN, bk_r32(b + OUTPUT_EN) | bit);
  if (!(bk_r32(b + OUTPUT_EN) & bit) || (bk_r32(b + OUTPUT_VAL) & LINES_MASK) != val || (bk_r32(b + IOF_SEL) & LINES_MASK) != sel) {
    bk_buf_puts(d, ",readback-mismatch");
    return -1;
  }
#else
  (void)b;
  (void)val;
  (void)sel;
#endif
  bk_buf_puts(d, ",mode=output,pattern=nonce,action=low-pulse-after-report");
  bk_defer(pulse_low, dev);
  return 0;
}
