/* Freestanding runtime: the libc subset GCC may call, console output and a string builder. */
#include "bk.h"
#include "bk-uart.h"

void *memset(void *d, int c, size_t n) {
  uint8_t *p = d;
  while (n--) *p++ = (uint8_t)c;
  return d;
}

void *memcpy(void *d, const void *s, size_t n) {
  uint8_t *dp = d;
  const uint8_t *sp = s;
  while (n--) *dp++ = *sp++;
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

size_t bk_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

void bk_console_init(void) { BK_CONSOLE_INIT(); }

void bk_putc(char c) {
  if (c == '\n') BK_CONSOLE_PUTC('\r');
  BK_CONSOLE_PUTC(c);
}

void bk_puts(const char *s) {
  while (*s) bk_putc(*s++);
}

static const char hexdig[] = "0123456789abcdef";

void bk_put_hex(uint64_t v) {
  char tmp[32];
  struct bk_buf b = {tmp, 0, sizeof tmp};
  bk_buf_hex(&b, v);
  bk_puts(tmp);
}

static void buf_putc(struct bk_buf *b, char c) {
  if (b->len + 1 < b->cap) {
    b->p[b->len++] = c;
    b->p[b->len] = 0;
  }
}

void bk_buf_puts(struct bk_buf *b, const char *s) {
  while (*s) buf_putc(b, *s++);
}

void bk_buf_hex_n(struct bk_buf *b, uint64_t v, int digits) {
  buf_putc(b, '0');
  buf_putc(b, 'x');
  for (int i = digits - 1; i >= 0; i--) buf_putc(b, hexdig[(v >> (i * 4)) & 0xf]);
}

void bk_buf_hex(struct bk_buf *b, uint64_t v) {
  int digits = 1;
  while (digits < 16 && (v >> (digits * 4)) != 0) digits++;
  bk_buf_hex_n(b, v, digits);
}

void bk_buf_dec(struct bk_buf *b, uint64_t v) {
  char tmp[21];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) buf_putc(b, tmp[--n]);
}

void bk_buf_bytes_hex(struct bk_buf *b, const volatile uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    buf_putc(b, hexdig[p[i] >> 4]);
    buf_putc(b, hexdig[p[i] & 0xf]);
  }
}

void bk_udelay(uint64_t us) {
  uint64_t end = bk_now_us() + us;
  while (bk_now_us() < end) {
  }
}
