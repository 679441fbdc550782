/*
 * The nonce-seeded framebuffer pattern. It must stay bit-identical with
 * src/payload/fb-pattern.ts, which is the host oracle: the screen is split into an 8x8 grid of
 * blocks and each block gets an RGB colour derived from the nonce, so only a payload that really
 * drew with this run's nonce produces a matching screendump.
 */
#include "bk.h"

#define BK_GRID 8u

static uint32_t xorshift32(uint32_t x) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

static uint32_t seed(void) {
  /* FNV-1a 32 over the 16 nonce bytes (draft-eastlake-fnv §2). */
  uint32_t h = 2166136261u;
  for (unsigned i = 0; i < 16; i++) {
    h ^= bk_config.nonce[i];
    h *= 16777619u;
  }
  return h;
}

static uint32_t block_rgb(uint32_t s, unsigned bx, unsigned by) {
  uint32_t v = s ^ ((by * BK_GRID + bx + 1u) * 0x9e3779b9u);
  if (v == 0) v = 1;
  return xorshift32(xorshift32(xorshift32(v))) & 0xffffffu;
}

uint32_t bk_pattern_rgb(unsigned x, unsigned y, unsigned width, unsigned height) {
  return block_rgb(seed(), x * BK_GRID / width, y * BK_GRID / height);
}

void bk_pattern_draw32(uintptr_t fb, unsigned width, unsigned height, unsigned stride_bytes, int swap_rb) {
  uint32_t s = seed(), colours[BK_GRID * BK_GRID];
  for (unsigned by = 0; by < BK_GRID; by++)
    for (unsigned bx = 0; bx < BK_GRID; bx++) {
      uint32_t c = block_rgb(s, bx, by);
      if (swap_rb) c = (c & 0x00ff00u) | (c >> 16) | ((c & 0xffu) << 16);
      colours[by * BK_GRID + bx] = c;
    }
  for (unsigned y = 0; y < height; y++) {
    volatile uint32_t *row = (volatile uint32_t *)(fb + (uintptr_t)y * stride_bytes);
    const uint32_t *crow = &colours[(y * BK_GRID / height) * BK_GRID];
    for (unsigned x = 0; x < width; x++) row[x] = crow[x * BK_GRID / width];
  }
}

void bk_pattern_show(struct bk_buf *d, uintptr_t fb, unsigned width, unsigned height, unsigned stride_bytes, int rgb) {
  bk_pattern_draw32(fb, width, height, stride_bytes, rgb);
  bk_buf_puts(d, "mode=");
  bk_buf_dec(d, width);
  bk_buf_puts(d, "x");
  bk_buf_dec(d, height);
  bk_buf_puts(d, "x32,pattern=nonce,order=");
  bk_buf_puts(d, rgb ? "rgb" : "bgr");
  bk_buf_puts(d, ",fb=");
  bk_buf_hex(d, fb);
}
