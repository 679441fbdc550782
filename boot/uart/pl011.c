/*
 * ARM PrimeCell UART PL011 (ARM DDI 0183G §3.2, Table 3-1): DR 0x000, FR 0x018 (bit 5 TXFF),
 * IBRD 0x024, FBRD 0x028, LCR_H 0x02C, CR 0x030 (UARTEN bit 0, TXE bit 8, RXE bit 9).
 * Baud divisor per §3.3.6: BAUDDIV = UARTCLK / (16 * baud), 6-bit fraction.
 */
#include "bk.h"
#include "bk-uart.h"

void bk_pl011_init(uintptr_t base, uint32_t clock_hz, uint32_t baud) {
  if (clock_hz && baud) {
    bk_w32(base + 0x030, 0); /* disable while reprogramming (§3.3.8) */
    uint64_t div64 = ((uint64_t)clock_hz * 4u + baud / 2) / baud; /* 64 * clk / (16 * baud) */
    bk_w32(base + 0x024, (uint32_t)(div64 >> 6));
    bk_w32(base + 0x028, (uint32_t)(div64 & 0x3f));
    bk_w32(base + 0x02c, 0x70); /* WLEN=8, FEN */
  }
  bk_w32(base + 0x030, 0x301); /* UARTEN | TXE | RXE */
}

void bk_pl011_putc(uintptr_t base, char c) {
  while (bk_r32(base + 0x018) & 0x20) {
  }
  bk_w32(base + 0x000, (uint8_t)c);
}
