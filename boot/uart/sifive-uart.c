/*
 * SiFive UART (SiFive FU540-C000 Manual v1p0, ch. 13 "UART", Table 13.1): txdata 0x00 (bit 31
 * full), rxdata 0x04, txctrl 0x08 (bit 0 txen), rxctrl 0x0C, ie 0x10, ip 0x14, div 0x18.
 * Baud per §13.9: div = f_in / baud - 1.
 */
#include "bk.h"
#include "bk-uart.h"

void bk_sifive_uart_init(uintptr_t base, uint32_t clock_hz, uint32_t baud) {
  if (clock_hz && baud) bk_w32(base + 0x18, clock_hz / baud - 1u);
  bk_w32(base + 0x10, 0);                       /* no interrupts */
  bk_w32(base + 0x08, bk_r32(base + 0x08) | 1u); /* txen */
}

void bk_sifive_uart_putc(uintptr_t base, char c) {
  while (bk_r32(base + 0x00) & 0x80000000u) {
  }
  bk_w32(base + 0x00, (uint8_t)c);
}
