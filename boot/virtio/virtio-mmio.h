/* Minimal virtio-mmio transport, legacy (version 1) and modern (version 2). See virtio-mmio.c. */
#ifndef BK_VIRTIO_MMIO_H
#define BK_VIRTIO_MMIO_H
#include "bk.h"

#define VQ_SIZE 8u

struct vq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
#define VQ_DESC_F_NEXT 1u
#define VQ_DESC_F_WRITE 2u

/* One split virtqueue in a 2-page area laid out the legacy way (virtio 1.1 §2.6.2), which
 * also satisfies the modern alignment rules. */
struct vq {
  uint8_t mem[8192] BK_ALIGNED(4096);
  uint16_t last_used;
  uint16_t index;
};

struct virtio_dev {
  uintptr_t base;
  uint32_t version;
};

/* Scans `slots` transports from `base`, `stride` apart, for `device_id` (virtio 1.1 §5:
 * 1 = network, 2 = block). Returns 0 and fills `vd`, or -1. */
int virtio_find(const struct bk_dev *dev, uint32_t device_id, struct virtio_dev *vd);
/* Reset, ACKNOWLEDGE|DRIVER, negotiate (`features` low 32 bits; VERSION_1 added on modern). */
int virtio_begin(struct virtio_dev *vd, uint32_t features);
int virtio_setup_queue(struct virtio_dev *vd, struct vq *q, uint16_t index);
void virtio_driver_ok(struct virtio_dev *vd);
/* Puts a descriptor chain in the avail ring, notifies, and polls the used ring. */
int virtio_submit(struct virtio_dev *vd, struct vq *q, struct vq_desc *chain, unsigned n, uint64_t timeout_us);
void virtio_describe(struct virtio_dev *vd, struct bk_buf *d);

#endif
