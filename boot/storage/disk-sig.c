/* Formats the disk signature the host wrote (default: MBR offset 440, 4 bytes, little-endian). */
#include "bk.h"

int bk_report_disk_sig(struct bk_buf *d, const uint8_t *sector, uint64_t sector_lba) {
  uint64_t off = bk_config.disk_sig_offset - sector_lba * 512;
  uint32_t n = bk_config.disk_sig_length;
  if (n == 0 || n > 8 || off + n > 512) {
    bk_buf_puts(d, "sig-location-unsupported");
    return -1;
  }
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; i++) v |= (uint64_t)sector[off + i] << (8 * i);
  bk_buf_puts(d, "sig=");
  bk_buf_hex_n(d, v, (int)n * 2);
  return 0;
}
