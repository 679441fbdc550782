/*
 * NS16550A UART, byte-spaced registers (TI PC16550D datasheet §8.6, Table 2): THR 0, IER 1,
 * FCR 2, LCR 3, LSR 5 (bit 5 THRE). Divisor latch DLL/DLM at 0/1 when LCR.DLAB (bit 7) is set.
 * QEMU riscv `virt` places it at the address the board profile gives (0x10000000).
 */
#include "bk.h"
#include "bk-uart.h"

void bk_ns16550a_init(uintptr_t base, uint32_t clock_hz, uint32_t baud) {
  bk_w8(base + 1, 0x00); /* IER: no interrupts */
  if (clock_hz && baud) {
    uint32_t div = clock_hz / (16u * baud);
    bk_w8(base + 3, 0x80); /* DLAB */
    bk_w8(base + 0, (uint8_t)div);
    bk_w8(base + 1, (uint8_t)(div >> 8));
  }
  bk_w8(base + 3, 0x03); /* 8N1, DLAB off */
  bk_w8(base + 2, 0x07); /* FIFO enable + clear */
}

void bk_ns16550a_putc(uintptr_t base, char c) {
  while (!(bk_r8(base + 5) & 0x20)) {
  }
  bk_w8(base + 0, (uint8_t)c);
}
