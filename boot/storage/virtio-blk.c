/*
 * virtio-blk (virtio 1.1 §5.2): one VIRTIO_BLK_T_IN request (type 0) for the sector holding the
 * disk signature: header {type, reserved, sector} (§5.2.6), a 512-byte device-writable buffer,
 * then a device-writable status byte (0 = OK). arg[0] = transport slots, arg[1] = slot stride.
 */
#include "virtio-mmio.h"

static struct vq blk_q;
static uint8_t sector[512] BK_ALIGNED(16);
static struct {
  uint32_t type, reserved;
  uint64_t sector;
} req BK_ALIGNED(16);
static volatile uint8_t status BK_ALIGNED(16);

int bk_drv_virtio_blk(const struct bk_dev *dev, struct bk_buf *d) {
  struct virtio_dev vd;
  if (virtio_find(dev, 2, &vd) != 0) {
    bk_buf_puts(d, "no-virtio-blk-device");
    return -1;
  }
  virtio_describe(&vd, d);
  if (virtio_begin(&vd, 0) != 0 || virtio_setup_queue(&vd, &blk_q, 0) != 0) {
    bk_buf_puts(d, ",init-failed");
    return -1;
  }
  virtio_driver_ok(&vd);
  uint64_t lba = bk_config.disk_sig_offset / 512;
  req.type = 0;
  req.reserved = 0;
  req.sector = lba;
  status = 0xff;
  struct vq_desc chain[3] = {
      {(uintptr_t)&req, sizeof req, 0, 0},
      {(uintptr_t)sector, sizeof sector, VQ_DESC_F_WRITE, 0},
      {(uintptr_t)&status, 1, VQ_DESC_F_WRITE, 0},
  };
  if (virtio_submit(&vd, &blk_q, chain, 3, 2000000) != 0) {
    bk_buf_puts(d, ",timeout");
    return -1;
  }
  if (status != 0) {
    bk_buf_puts(d, ",io-error=");
    bk_buf_dec(d, status);
    return -1;
  }
  bk_buf_puts(d, ",");
  return bk_report_disk_sig(d, sector, lba);
}
