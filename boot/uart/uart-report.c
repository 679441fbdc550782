/*
 * driver=uart: the console UART itself. Its evidence is the report the host is reading through
 * it; the detail names the controller, base and baud so the host can check that the line came
 * through the UART the profile says (e.g. the mini UART on serial index 1 on raspi3b).
 */
#include "bk.h"

int bk_drv_uart(const struct bk_dev *dev, struct bk_buf *d) {
  bk_buf_puts(d, "base=");
  bk_buf_hex(d, dev->base);
  bk_buf_puts(d, ",baud=");
  bk_buf_dec(d, dev->arg[0]);
  bk_buf_puts(d, ",console=yes");
  return 0;
}
