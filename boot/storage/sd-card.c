/*
 * SD card identification and single-block read (SD Physical Layer Simplified Spec v9.00):
 * CMD0 GO_IDLE (§4.2.1), CMD8 SEND_IF_COND 0x1AA (§4.3.13), ACMD41 SD_SEND_OP_COND with HCS
 * until OCR busy bit 31 is set (§4.2.3.1; bit 30 CCS = block addressing), CMD2 ALL_SEND_CID,
 * CMD3 SEND_RELATIVE_ADDR (R6, §4.9.5), CMD7 SELECT (R1b), CMD16 SET_BLOCKLEN 512 for SDSC,
 * CMD17 READ_SINGLE_BLOCK (byte address on SDSC, block address on SDHC/SDXC).
 */
#include "sd-card.h"

static int step(struct bk_buf *d, const char *what) {
  bk_buf_puts(d, "failed-at=");
  bk_buf_puts(d, what);
  return -1;
}

int sd_read_block(struct sd_host *h, uint64_t lba, uint8_t *buf, struct bk_buf *d) {
  uint32_t r[4];
  if (h->cmd(h, 0, 0, SD_RESP_NONE, r)) return step(d, "cmd0");
  int v2 = h->cmd(h, 8, 0x1aa, SD_RESP_48, r) == 0 && (r[0] & 0xfff) == 0x1aa;
  uint64_t end = bk_now_us() + 1000000u;
  for (;;) {
    if (h->cmd(h, 55, 0, SD_RESP_48, r)) return step(d, "cmd55");
    if (h->cmd(h, 41, v2 ? 0x40ff8000u : 0x00ff8000u, SD_RESP_48, r)) return step(d, "acmd41");
    if (r[0] & 0x80000000u) break;
    if (bk_now_us() > end) return step(d, "acmd41-busy");
    bk_udelay(10000);
  }
  int ccs = (r[0] & 0x40000000u) != 0;
  if (h->cmd(h, 2, 0, SD_RESP_136, r)) return step(d, "cmd2");
  if (h->cmd(h, 3, 0, SD_RESP_48, r)) return step(d, "cmd3");
  uint32_t rca = r[0] & 0xffff0000u;
  if (h->cmd(h, 7, rca, SD_RESP_48_BUSY, r)) return step(d, "cmd7");
  if (!ccs && h->cmd(h, 16, 512, SD_RESP_48, r)) return step(d, "cmd16");
  uint32_t addr = (uint32_t)(ccs ? lba : lba * 512u);
  if (h->cmd(h, 17, addr, SD_RESP_48 | SD_DATA_READ, r)) return step(d, "cmd17");
  if (h->read_data(h, buf)) return step(d, "read-data");
  bk_buf_puts(d, ccs ? "card=sdhc," : "card=sdsc,");
  return 0;
}
