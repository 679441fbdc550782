/*
 * SD Host Controller (SD Association "SD Host Controller Simplified Specification" v4.20, §2.2
 * register map): block size/count 0x04, argument 0x08, transfer mode + command 0x0C, response
 * 0x10-0x1C, buffer data port 0x20, present state 0x24, host/power 0x28, clock/timeout/reset
 * 0x2C, interrupt status 0x30, interrupt status enable 0x34. The BCM2835 "EMMC" (Arasan) block
 * only takes 32-bit accesses (BCM2835 ARM Peripherals §5), so every access here is 32 bits wide.
 * Polled PIO; on QEMU raspi3b the card sits on this controller unless GPIO 48-53 route it away.
 */
#include "sd-card.h"

#define BLKSIZE 0x04
#define ARG 0x08
#define XFER_CMD 0x0c
#define RESP0 0x10
#define DATA 0x20
#define PRESENT 0x24
#define HOST_CTRL 0x28
#define CLOCK_CTRL 0x2c
#define INT_STATUS 0x30
#define INT_ENABLE 0x34

#define INT_CMD_DONE 0x0001u
#define INT_XFER_DONE 0x0002u
#define INT_READ_READY 0x0020u
#define INT_ERROR 0x8000u

static int wait_int(uintptr_t b, uint32_t mask) {
  uint64_t end = bk_now_us() + 500000u;
  for (;;) {
    uint32_t s = bk_r32(b + INT_STATUS);
    if (s & INT_ERROR) {
      bk_w32(b + INT_STATUS, s);
      return -1;
    }
    if (s & mask) {
      bk_w32(b + INT_STATUS, s & mask);
      return 0;
    }
    if (bk_now_us() > end) return -1;
  }
}

static int sdhci_cmd(struct sd_host *h, uint32_t index, uint32_t arg, uint32_t flags, uint32_t resp[4]) {
  uintptr_t b = h->base;
  uint64_t end = bk_now_us() + 500000u;
  while (bk_r32(b + PRESENT) & 3u) /* command / data inhibit */
    if (bk_now_us() > end) return -1;
  /* Command register (§2.2.7): index 13:8, data present bit 5, index check bit 4, CRC check
   * bit 3, response type 1:0 (0 none, 1 136-bit, 2 48-bit, 3 48-bit busy). */
  static const uint32_t resp_bits[4] = {0x0, 0x1 | 0x8, 0x2 | 0x8 | 0x10, 0x3 | 0x8 | 0x10};
  uint32_t rt = flags & 3u;
  uint32_t kind = rt == SD_RESP_48 ? 2 : rt == SD_RESP_136 ? 1 : rt == SD_RESP_48_BUSY ? 3 : 0;
  uint32_t cmd = index << 8 | resp_bits[kind];
  uint32_t mode = 0;
  if (flags & SD_DATA_READ) {
    cmd |= 0x20;
    mode = 0x10; /* transfer mode (§2.2.6): read direction, single block */
    bk_w32(b + BLKSIZE, 1u << 16 | 512u);
  }
  bk_w32(b + INT_STATUS, 0xffffffffu);
  bk_w32(b + ARG, arg);
  bk_w32(b + XFER_CMD, cmd << 16 | mode);
  if (wait_int(b, INT_CMD_DONE)) return -1;
  for (int i = 0; i < 4; i++) resp[i] = bk_r32(b + RESP0 + 4u * (unsigned)i);
  /* Busy responses (R1b) end with transfer complete (§3.7.1.2). */
  if (rt == SD_RESP_48_BUSY) (void)wait_int(b, INT_XFER_DONE);
  return 0;
}

static int sdhci_read(struct sd_host *h, uint8_t *buf) {
  uintptr_t b = h->base;
  if (wait_int(b, INT_READ_READY)) return -1;
  for (int i = 0; i < 128; i++) {
    uint32_t w = bk_r32(b + DATA);
    buf[4 * i] = (uint8_t)w;
    buf[4 * i + 1] = (uint8_t)(w >> 8);
    buf[4 * i + 2] = (uint8_t)(w >> 16);
    buf[4 * i + 3] = (uint8_t)(w >> 24);
  }
  return wait_int(b, INT_XFER_DONE);
}

static uint8_t sector[512] BK_ALIGNED(16);

int bk_sd_read_sdhci(uintptr_t b, struct bk_buf *d) {
  bk_buf_puts(d, "base=");
  bk_buf_hex(d, b);
  bk_buf_puts(d, ",");
  /* Software reset for all (0x2F bit 0, §2.2.18), then wait for it to clear. */
  bk_w32(b + CLOCK_CTRL, 1u << 24);
  uint64_t end = bk_now_us() + 500000u;
  while (bk_r32(b + CLOCK_CTRL) & (1u << 24))
    if (bk_now_us() > end) return bk_buf_puts(d, "failed-at=reset"), -1;
  /* Power: 3.3 V + bus power on (0x29, §2.2.11). */
  bk_w32(b + HOST_CTRL, 0x0fu << 8);
  /* Clock (§2.2.14): divider 0x80 (≈400 kHz), timeout 0xE (0x2E), internal clock on, wait
   * stable, then SD clock on. */
  uint32_t clk = 0x80u << 8 | 0xeu << 16 | 1u;
  bk_w32(b + CLOCK_CTRL, clk);
  end = bk_now_us() + 500000u;
  while (!(bk_r32(b + CLOCK_CTRL) & 2u))
    if (bk_now_us() > end) return bk_buf_puts(d, "failed-at=clock"), -1;
  bk_w32(b + CLOCK_CTRL, clk | 4u);
  bk_w32(b + INT_ENABLE, 0xffffffffu); /* status bits latch only when enabled (§2.2.21) */
  if (!(bk_r32(b + PRESENT) & (1u << 16))) return bk_buf_puts(d, "no-card"), -1; /* card inserted */
  struct sd_host h = {b, sdhci_cmd, sdhci_read};
  uint64_t lba = bk_config.disk_sig_offset / 512;
  if (sd_read_block(&h, lba, sector, d)) return -1;
  return bk_report_disk_sig(d, sector, lba);
}
