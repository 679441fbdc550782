/*
 * The Ethernet report frame: Ethernet II broadcast (IEEE 802.3 §3.1.1), IPv4 (RFC 791 §3.1, header
 * checksum RFC 1071), UDP (RFC 768, checksum 0 = none). Payload text:
 * "BOARDKIT nonce=<hex> board=<id>\n". Addresses and ports come from the config block.
 */
#include "bk.h"

static void put16be(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

size_t bk_build_udp_report(uint8_t *f, size_t cap) {
  char text[96];
  struct bk_buf t = {text, 0, sizeof text};
  bk_buf_puts(&t, "BOARDKIT nonce=");
  bk_buf_bytes_hex(&t, bk_config.nonce, 16);
  bk_buf_puts(&t, " board=" BK_BOARD_ID "\n");
  size_t udp_len = 8 + t.len, ip_len = 20 + udp_len, total = 14 + ip_len;
  if (total > cap) return 0;
  memset(f, 0, total);
  for (int i = 0; i < 6; i++) f[i] = 0xff;
  for (int i = 0; i < 6; i++) f[6 + i] = bk_config.mac[i];
  put16be(f + 12, 0x0800);
  uint8_t *ip = f + 14;
  ip[0] = 0x45;
  put16be(ip + 2, (uint16_t)ip_len);
  put16be(ip + 6, 0x4000); /* DF */
  ip[8] = 64;
  ip[9] = 17;
  for (int i = 0; i < 4; i++) ip[12 + i] = bk_config.ip[i];
  for (int i = 0; i < 4; i++) ip[16 + i] = bk_config.peer_ip[i];
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16be(ip + 10, (uint16_t)~sum);
  uint8_t *udp = ip + 20;
  put16be(udp, bk_config.src_port);
  put16be(udp + 2, bk_config.peer_port);
  put16be(udp + 4, (uint16_t)udp_len);
  memcpy(udp + 8, text, t.len);
  return total;
}
