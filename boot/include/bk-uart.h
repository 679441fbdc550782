/* UART back ends. `clock_hz == 0` means "keep what the firmware programmed" (no divisor write). */
#ifndef BK_UART_H
#define BK_UART_H
#include <stdint.h>

void bk_ns16550a_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
void bk_ns16550a_putc(uintptr_t base, char c);
void bk_pl011_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
void bk_pl011_putc(uintptr_t base, char c);
void bk_bcm2835_aux_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
void bk_bcm2835_aux_putc(uintptr_t base, char c);
void bk_sifive_uart_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
void bk_sifive_uart_putc(uintptr_t base, char c);
void bk_pc_com_init(uintptr_t base, uint32_t clock_hz, uint32_t baud);
void bk_pc_com_putc(uintptr_t base, char c);

#endif
