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
  /* FNV-1a 32 over the 16 nonce bytes (FNV spec, draft-eastlake-fnv §2). */
  uint32_t h = 2166136261u;
  for (unsigned i = 0; i < 16; i++) {
    h ^= bk_config.nonce[i];
    h *= 16777619u;
  }
  return h;
}

uint32_t bk_pattern_rgb(unsigned x, unsigned y, unsigned width, unsigned height) {
  unsigned bx = x * BK_GRID / width, by = y * BK_GRID / height;
  uint32_t v = seed() ^ ((by * BK_GRID + bx + 1u) * 0x9e3779b9u);
  if (v == 0) v = 1;
  v = xorshift32(xorshift32(xorshift32(v)));
  return v & 0xffffffu;
}
