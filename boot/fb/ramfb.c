/*
 * QEMU ramfb through fw_cfg (QEMU docs/specs/fw_cfg.rst; hw/display/ramfb.c). fw_cfg MMIO
 * (arm/riscv virt): data +0, selector +8 (16-bit big-endian), DMA address +16 (64-bit big-endian;
 * writing the low half starts the transfer). The file directory (key 0x0019) gives the selector
 * of "etc/ramfb"; a DMA write of RAMFBCfg {be64 addr, be32 fourcc, flags, width, height, stride}
 * points the display at our pixels. Format XRGB8888 (DRM fourcc "XR24"): little-endian words
 * 0x00RRGGBB. arg[0]/arg[1] = width/height. `base` is the fw_cfg base.
 */
#include "bk.h"

#define FW_CFG_FILE_DIR 0x0019u
#define DMA_CTL_ERROR 0x01u
#define DMA_CTL_SELECT 0x08u
#define DMA_CTL_WRITE 0x10u
#define FOURCC_XRGB8888 0x34325258u

static struct {
  uint32_t control, length;
  uint64_t address;
} dma BK_ALIGNED(16);

static struct {
  uint64_t addr;
  uint32_t fourcc, flags, width, height, stride;
} __attribute__((packed)) cfg BK_ALIGNED(16);

static uint32_t read_be32(uintptr_t base) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v = v << 8 | bk_r8(base);
  return v;
}

static int find_file(uintptr_t base, const char *name, uint16_t *select) {
  bk_w16(base + 8, (uint16_t)bk_bswap16(FW_CFG_FILE_DIR));
  uint32_t count = read_be32(base);
  for (uint32_t i = 0; i < count && i < 1024; i++) {
    char fname[56];
    (void)read_be32(base); /* size */
    uint16_t sel = (uint16_t)(bk_r8(base) << 8);
    sel |= bk_r8(base);
    (void)bk_r8(base);
    (void)bk_r8(base); /* reserved */
    for (int j = 0; j < 56; j++) fname[j] = (char)bk_r8(base);
    fname[55] = 0;
    size_t n = bk_strlen(name);
    if (memcmp(fname, name, n + 1) == 0) {
      *select = sel;
      return 0;
    }
  }
  return -1;
}

int bk_drv_ramfb(const struct bk_dev *dev, struct bk_buf *d) {
  uintptr_t base = dev->base;
  uint32_t w = dev->arg[0], h = dev->arg[1];
  bk_w16(base + 8, 0); /* FW_CFG_SIGNATURE: "QEMU" */
  char sig[4];
  for (int i = 0; i < 4; i++) sig[i] = (char)bk_r8(base);
  if (memcmp(sig, "QEMU", 4) != 0) {
    bk_buf_puts(d, "no-fw_cfg");
    return -1;
  }
  uint16_t select;
  if (find_file(base, "etc/ramfb", &select) != 0) {
    bk_buf_puts(d, "no-etc/ramfb (add -device ramfb)");
    return -1;
  }
  uintptr_t fb = ((uintptr_t)__free_start + 0xfffu) & ~(uintptr_t)0xfffu;
  bk_pattern_draw32(fb, w, h, w * 4, 0);
  cfg.addr = bk_bswap64(fb);
  cfg.fourcc = bk_bswap32(FOURCC_XRGB8888);
  cfg.flags = 0;
  cfg.width = bk_bswap32(w);
  cfg.height = bk_bswap32(h);
  cfg.stride = bk_bswap32(w * 4);
  dma.control = bk_bswap32((uint32_t)select << 16 | DMA_CTL_SELECT | DMA_CTL_WRITE);
  dma.length = bk_bswap32(sizeof cfg);
  dma.address = bk_bswap64((uintptr_t)&cfg);
  uint64_t pa = (uintptr_t)&dma;
  bk_w32(base + 16, bk_bswap32((uint32_t)(pa >> 32)));
  bk_w32(base + 20, bk_bswap32((uint32_t)pa));
  uint64_t end = bk_now_us() + 1000000u;
  uint32_t ctl;
  while ((ctl = bk_bswap32(*(volatile uint32_t *)&dma.control)) & ~DMA_CTL_ERROR) {
    if (bk_now_us() > end) {
      bk_buf_puts(d, "dma-timeout");
      return -1;
    }
  }
  if (ctl & DMA_CTL_ERROR) {
    bk_buf_puts(d, "dma-error");
    return -1;
  }
  bk_buf_puts(d, "mode=");
  bk_buf_dec(d, w);
  bk_buf_puts(d, "x");
  bk_buf_dec(d, h);
  bk_buf_puts(d, "x32,pattern=nonce,fb=");
  bk_buf_hex(d, fb);
  return 0;
}
