/*
 * BCM2835 mini UART in the AUX block (BCM2835 ARM Peripherals, §2.1-2.2): the board gives the
 * AUX_MU_IO base (0x3F215040 on BCM2837). Offsets from AUX_MU_IO: IER +0x04, IIR +0x08,
 * LCR +0x0C, MCR +0x10, LSR +0x14 (bit 5 transmitter empty), CNTL +0x20, BAUD +0x28.
 * AUX_ENABLES (bit 0 = mini UART) sits at AUX_MU_IO - 0x3C (AUX base + 0x04).
 * Baud per §2.2.1: baudrate = system_clock / (8 * (BAUD + 1)). GPIO 14/15 ALT5 routing is the
 * firmware's job (enable_uart=1); QEMU does not model pin muxing for the AUX UART.
 */
#include "bk.h"
#include "bk-uart.h"

void bk_bcm2835_aux_init(uintptr_t base, uint32_t clock_hz, uint32_t baud) {
  bk_w32(base - 0x3c, bk_r32(base - 0x3c) | 1u); /* AUX_ENABLES: mini UART */
  if (clock_hz && baud) {
    bk_w32(base + 0x20, 0);    /* CNTL: tx/rx off while reprogramming */
    bk_w32(base + 0x04, 0);    /* IER */
    bk_w32(base + 0x0c, 3);    /* LCR: 8-bit mode (§2.2.2 errata: both bits) */
    bk_w32(base + 0x10, 0);    /* MCR */
    bk_w32(base + 0x28, clock_hz / (8u * baud) - 1u);
  }
  bk_w32(base + 0x20, 3); /* CNTL: receiver + transmitter enable */
}

void bk_bcm2835_aux_putc(uintptr_t base, char c) {
  while (!(bk_r32(base + 0x14) & 0x20)) {
  }
  bk_w32(base + 0x00, (uint8_t)c);
}
