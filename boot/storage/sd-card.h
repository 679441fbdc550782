/* SD card protocol over a host controller back end (SD Physical Layer Simplified Spec v9.00). */
#ifndef BK_SD_CARD_H
#define BK_SD_CARD_H
#include "bk.h"

#define SD_RESP_NONE 0u
#define SD_RESP_48 1u
#define SD_RESP_136 2u
#define SD_RESP_48_BUSY 3u
#define SD_DATA_READ 0x10u /* command transfers one 512-byte block from the card */

struct sd_host {
  uintptr_t base;
  /* Sends a command (flags = response type | SD_DATA_READ); fills resp[0..3]; 0 on success. */
  int (*cmd)(struct sd_host *h, uint32_t index, uint32_t arg, uint32_t flags, uint32_t resp[4]);
  /* Reads the 512-byte block of the data command just sent. */
  int (*read_data)(struct sd_host *h, uint8_t *buf);
};

/* Identifies and selects the card, then reads the block `lba` (512 bytes) into buf. `d` gets
 * the failing step on error. */
int sd_read_block(struct sd_host *h, uint64_t lba, uint8_t *buf, struct bk_buf *d);

/* Reads the disk signature through one controller at `base` (storage/sdhost.c, storage/sdhci.c). */
int bk_sd_read_sdhost(uintptr_t base, struct bk_buf *d);
int bk_sd_read_sdhci(uintptr_t base, struct bk_buf *d);

#endif
