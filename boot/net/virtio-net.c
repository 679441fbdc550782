/*
 * virtio-net (virtio 1.1 §5.1): transmit one frame on transmitq (queue 1, §5.1.2) with a zeroed
 * struct virtio_net_hdr in front (§5.1.6): 10 bytes on legacy without MRG_RXBUF, 12 bytes with
 * VERSION_1 (num_buffers is always present, §5.1.6.1). No feature is negotiated, so the device
 * takes the frame as is. arg[0] = transport slots, arg[1] = slot stride.
 */
#include "virtio-mmio.h"

static struct vq tx_q;
static uint8_t buf[12 + 1514] BK_ALIGNED(16);

int bk_drv_virtio_net(const struct bk_dev *dev, struct bk_buf *d) {
  struct virtio_dev vd;
  if (virtio_find(dev, 1, &vd) != 0) {
    bk_buf_puts(d, "no-virtio-net-device");
    return -1;
  }
  virtio_describe(&vd, d);
  if (virtio_begin(&vd, 0) != 0 || virtio_setup_queue(&vd, &tx_q, 1) != 0) {
    bk_buf_puts(d, ",init-failed");
    return -1;
  }
  virtio_driver_ok(&vd);
  size_t hdr = vd.version == 2 ? 12 : 10;
  memset(buf, 0, hdr);
  size_t n = bk_build_udp_report(buf + hdr, sizeof buf - hdr);
  struct vq_desc chain[1] = {{(uintptr_t)buf, (uint32_t)(hdr + n), 0, 0}};
  if (virtio_submit(&vd, &tx_q, chain, 1, 2000000) != 0) {
    bk_buf_puts(d, ",tx-timeout");
    return -1;
  }
  bk_buf_puts(d, ",sent=udp-broadcast,len=");
  bk_buf_dec(d, n);
  bk_buf_puts(d, ",dst-port=");
  bk_buf_dec(d, bk_config.peer_port);
  return 0;
}
