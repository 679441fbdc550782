/*
 * Raspberry Pi framebuffer through the VideoCore mailbox property interface (raspberrypi/firmware
 * wiki "Mailbox property interface"; mailbox registers per "Accessing mailboxes": READ +0x00,
 * STATUS +0x18 (bit 30 empty), WRITE +0x20, write-side STATUS +0x38 (bit 31 full); channel 8 =
 * property tags ARM→VC). Tags: 0x48003 physical size, 0x48004 virtual size, 0x48009 virtual
 * offset, 0x48005 depth, 0x48006 pixel order, 0x40001 allocate buffer, 0x40008 get pitch.
 * `base` is the mailbox base (0x3F00B880 on BCM2837); arg[0]/arg[1] = width/height.
 */
#include "bk.h"

#define MBOX_READ 0x00u
#define MBOX_STATUS 0x18u
#define MBOX_WRITE 0x20u
#define MBOX_WSTATUS 0x38u
#define MBOX_EMPTY 0x40000000u
#define MBOX_FULL 0x80000000u
#define CH_PROPERTY 8u
/* Bus addresses: the 0xC0000000 alias is the uncached view of SDRAM (BCM2835 ARM Peripherals
 * §1.2.3); the ARM side sees the same RAM at bus & 0x3FFFFFFF. */
#define BUS_UNCACHED 0xc0000000u

static volatile uint32_t msg[36] BK_ALIGNED(16);

static int mbox_call(uintptr_t base) {
  uint32_t addr = (uint32_t)(uintptr_t)msg | BUS_UNCACHED;
  uint64_t end = bk_now_us() + 1000000u;
  while (bk_r32(base + MBOX_WSTATUS) & MBOX_FULL)
    if (bk_now_us() > end) return -1;
  bk_w32(base + MBOX_WRITE, (addr & ~0xfu) | CH_PROPERTY);
  for (;;) {
    while (bk_r32(base + MBOX_STATUS) & MBOX_EMPTY)
      if (bk_now_us() > end) return -1;
    uint32_t v = bk_r32(base + MBOX_READ);
    if ((v & 0xfu) == CH_PROPERTY) return msg[1] == 0x80000000u ? 0 : -1;
  }
}

int bk_drv_mailbox_fb(const struct bk_dev *dev, struct bk_buf *d) {
  uint32_t w = dev->arg[0], h = dev->arg[1];
  unsigned i = 0;
  msg[i++] = 0; /* size, filled below */
  msg[i++] = 0; /* request */
  msg[i++] = 0x48003; msg[i++] = 8; msg[i++] = 0; msg[i++] = w; msg[i++] = h;
  msg[i++] = 0x48004; msg[i++] = 8; msg[i++] = 0; msg[i++] = w; msg[i++] = h;
  msg[i++] = 0x48009; msg[i++] = 8; msg[i++] = 0; msg[i++] = 0; msg[i++] = 0;
  msg[i++] = 0x48005; msg[i++] = 4; msg[i++] = 0; msg[i++] = 32;
  unsigned order = i + 3;
  msg[i++] = 0x48006; msg[i++] = 4; msg[i++] = 0; msg[i++] = 1; /* request RGB */
  unsigned alloc = i + 3;
  msg[i++] = 0x40001; msg[i++] = 8; msg[i++] = 0; msg[i++] = 4096; msg[i++] = 0;
  unsigned pitch = i + 3;
  msg[i++] = 0x40008; msg[i++] = 4; msg[i++] = 0; msg[i++] = 0;
  msg[i++] = 0; /* end tag */
  msg[0] = i * 4u;
  if (mbox_call(dev->base) != 0) {
    bk_buf_puts(d, "mailbox-call-failed");
    return -1;
  }
  uintptr_t fb = msg[alloc] & 0x3fffffffu;
  uint32_t stride = msg[pitch] ? msg[pitch] : w * 4u;
  if (!fb) {
    bk_buf_puts(d, "no-buffer");
    return -1;
  }
  /* Pixel order 1 = RGB: bytes R,G,B in memory, i.e. little-endian words 0x00BBGGRR. */
  int rgb = msg[order] == 1;
  bk_pattern_show(d, fb, w, h, stride, rgb);
  return 0;
}
