/*
 * BCM2835 SDHOST ("SD host" at 0x7E202000 bus, 0x3F202000 ARM on BCM2837). Not in the
 * BCM2835 ARM Peripherals manual; register map and flags as documented by the Linux driver
 * drivers/mmc/host/bcm2835.c (SDCMD 0x00, SDARG 0x04, SDTOUT 0x08, SDCDIV 0x0C, SDRSP0-3
 * 0x10-0x1C, SDHSTS 0x20, SDVDD 0x30, SDEDM 0x34, SDHCFG 0x38, SDHBCT 0x3C, SDDATA 0x40,
 * SDHBLC 0x50) and modelled by QEMU hw/sd/bcm2835_sdhost.c. Polled, PIO, one block.
 * The card only answers here when GPIO 48-53 select ALT0 (see gpio/bcm2835-gpio.c).
 */
#include "sd-card.h"

#define SDCMD 0x00
#define SDARG 0x04
#define SDTOUT 0x08
#define SDCDIV 0x0c
#define SDRSP0 0x10
#define SDHSTS 0x20
#define SDVDD 0x30
#define SDEDM 0x34
#define SDHCFG 0x38
#define SDHBCT 0x3c
#define SDDATA 0x40
#define SDHBLC 0x50

#define CMD_NEW 0x8000u
#define CMD_FAIL 0x4000u
#define CMD_BUSYWAIT 0x800u
#define CMD_NO_RESPONSE 0x400u
#define CMD_LONG_RESPONSE 0x200u
#define CMD_READ 0x40u
#define HCFG_WIDE_INT_BUS 0x2u
#define HCFG_SLOW_CARD 0x8u
#define EDM_FIFO_FILL(v) (((v) >> 4) & 0x1fu)

static int sdhost_cmd(struct sd_host *h, uint32_t index, uint32_t arg, uint32_t flags, uint32_t resp[4]) {
  uintptr_t b = h->base;
  uint32_t c = index | CMD_NEW;
  switch (flags & 3u) {
  case SD_RESP_NONE: c |= CMD_NO_RESPONSE; break;
  case SD_RESP_136: c |= CMD_LONG_RESPONSE; break;
  case SD_RESP_48_BUSY: c |= CMD_BUSYWAIT; break;
  default: break;
  }
  if (flags & SD_DATA_READ) {
    c |= CMD_READ;
    bk_w32(b + SDHBCT, 512);
    bk_w32(b + SDHBLC, 1);
  }
  bk_w32(b + SDHSTS, 0x7f8); /* clear all error/irq flags (write-1-to-clear) */
  bk_w32(b + SDARG, arg);
  bk_w32(b + SDCMD, c);
  uint64_t end = bk_now_us() + 500000u;
  uint32_t v;
  while ((v = bk_r32(b + SDCMD)) & CMD_NEW)
    if (bk_now_us() > end) return -1;
  if (v & CMD_FAIL) return -1;
  for (int i = 0; i < 4; i++) resp[i] = bk_r32(b + SDRSP0 + 4u * (unsigned)i);
  return 0;
}

static int sdhost_read(struct sd_host *h, uint8_t *buf) {
  uintptr_t b = h->base;
  for (int i = 0; i < 128; i++) {
    uint64_t end = bk_now_us() + 500000u;
    while (EDM_FIFO_FILL(bk_r32(b + SDEDM)) == 0)
      if (bk_now_us() > end) return -1;
    uint32_t w = bk_r32(b + SDDATA);
    buf[4 * i] = (uint8_t)w;
    buf[4 * i + 1] = (uint8_t)(w >> 8);
    buf[4 * i + 2] = (uint8_t)(w >> 16);
    buf[4 * i + 3] = (uint8_t)(w >> 24);
  }
  return 0;
}

static uint8_t sector[512] BK_ALIGNED(16);

int bk_sd_read_sdhost(uintptr_t b, struct bk_buf *d) {
  bk_w32(b + SDVDD, 1);                          /* power on */
  bk_w32(b + SDCDIV, 0x148);                     /* ~400 kHz from a 250 MHz core clock */
  bk_w32(b + SDTOUT, 0xf00000);
  bk_w32(b + SDHCFG, HCFG_WIDE_INT_BUS | HCFG_SLOW_CARD);
  struct sd_host h = {b, sdhost_cmd, sdhost_read};
  uint64_t lba = bk_config.disk_sig_offset / 512;
  bk_buf_puts(d, "base=");
  bk_buf_hex(d, b);
  bk_buf_puts(d, ",");
  if (sd_read_block(&h, lba, sector, d)) return -1;
  return bk_report_disk_sig(d, sector, lba);
}
