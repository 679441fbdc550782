/*
 * PC COM port: a 16550 at an x86 I/O port base (COM1 = 0x3F8, IBM PC/AT Technical Reference;
 * register layout as the TI PC16550D datasheet §8.6). 1.8432 MHz input clock when the board
 * gives clockHz; otherwise the firmware's settings are kept.
 */
#include "bk.h"
#include "bk-uart.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

void bk_pc_com_init(uintptr_t base, uint32_t clock_hz, uint32_t baud) {
  uint16_t p = (uint16_t)base;
  outb(p + 1, 0x00);
  if (clock_hz && baud) {
    uint32_t div = clock_hz / (16u * baud);
    outb(p + 3, 0x80);
    outb(p + 0, (uint8_t)div);
    outb(p + 1, (uint8_t)(div >> 8));
  }
  outb(p + 3, 0x03);
  outb(p + 2, 0x07);
}

void bk_pc_com_putc(uintptr_t base, char c) {
  uint16_t p = (uint16_t)base;
  for (int spins = 0; spins < 100000 && !(inb(p + 5) & 0x20); spins++) {
  }
  outb(p, (uint8_t)c);
}
