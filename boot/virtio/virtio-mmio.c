/*
 * virtio over MMIO (OASIS virtio 1.1, §4.2.2 register layout; §4.2.4 legacy interface). QEMU 7.2
 * defaults virtio-mmio transports to legacy (version 1); `-global virtio-mmio.force-legacy=false`
 * gives version 2. Both are handled: legacy uses GuestPageSize/QueueAlign/QueuePFN, modern uses
 * the split 64-bit queue addresses, FEATURES_OK and QueueReady. No interrupts: the used ring is
 * polled. MMU and caches are off (or identity and coherent), so buffer addresses are physical.
 */
#include "virtio-mmio.h"

#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define DEV_FEATURES 0x010
#define DEV_FEATURES_SEL 0x014
#define DRV_FEATURES 0x020
#define DRV_FEATURES_SEL 0x024
#define GUEST_PAGE_SIZE 0x028 /* legacy */
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_ALIGN 0x03c /* legacy */
#define QUEUE_PFN 0x040   /* legacy */
#define QUEUE_READY 0x044 /* modern */
#define QUEUE_NOTIFY 0x050
#define STATUS 0x070
#define QUEUE_DESC_LO 0x080
#define QUEUE_DESC_HI 0x084
#define QUEUE_AVAIL_LO 0x090
#define QUEUE_AVAIL_HI 0x094
#define QUEUE_USED_LO 0x0a0
#define QUEUE_USED_HI 0x0a4

/* Device status bits (virtio 1.1 §2.1). */
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u

#define PAGE 4096u
#define AVAIL_OFF (16u * VQ_SIZE)
#define USED_OFF PAGE

int virtio_find(const struct bk_dev *dev, uint32_t device_id, struct virtio_dev *vd) {
  uint32_t slots = dev->arg[0] ? dev->arg[0] : 1, stride = dev->arg[1] ? dev->arg[1] : 0x200;
  for (uint32_t i = 0; i < slots; i++) {
    uintptr_t b = dev->base + (uintptr_t)i * stride;
    if (bk_r32(b + MAGIC) != 0x74726976u) continue; /* "virt" */
    uint32_t v = bk_r32(b + VERSION);
    if ((v == 1 || v == 2) && bk_r32(b + DEVICE_ID) == device_id) {
      vd->base = b;
      vd->version = v;
      return 0;
    }
  }
  return -1;
}

int virtio_begin(struct virtio_dev *vd, uint32_t features) {
  uintptr_t b = vd->base;
  bk_w32(b + STATUS, 0);
  bk_w32(b + STATUS, S_ACK);
  bk_w32(b + STATUS, S_ACK | S_DRIVER);
  bk_w32(b + DEV_FEATURES_SEL, 0);
  uint32_t have = bk_r32(b + DEV_FEATURES);
  bk_w32(b + DRV_FEATURES_SEL, 0);
  bk_w32(b + DRV_FEATURES, have & features);
  if (vd->version == 2) {
    bk_w32(b + DEV_FEATURES_SEL, 1);
    if (!(bk_r32(b + DEV_FEATURES) & 1u)) return -1; /* VERSION_1 (bit 32) is mandatory on v2 */
    bk_w32(b + DRV_FEATURES_SEL, 1);
    bk_w32(b + DRV_FEATURES, 1u);
    bk_w32(b + STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    if (!(bk_r32(b + STATUS) & S_FEATURES_OK)) return -1;
  } else {
    bk_w32(b + GUEST_PAGE_SIZE, PAGE);
  }
  return 0;
}

int virtio_setup_queue(struct virtio_dev *vd, struct vq *q, uint16_t index) {
  uintptr_t b = vd->base;
  memset(q->mem, 0, sizeof q->mem);
  q->last_used = 0;
  q->index = index;
  bk_w32(b + QUEUE_SEL, index);
  uint32_t max = bk_r32(b + QUEUE_NUM_MAX);
  if (max < VQ_SIZE) return -1;
  bk_w32(b + QUEUE_NUM, VQ_SIZE);
  uint64_t pa = (uintptr_t)q->mem;
  if (vd->version == 2) {
    bk_w32(b + QUEUE_DESC_LO, (uint32_t)pa);
    bk_w32(b + QUEUE_DESC_HI, (uint32_t)(pa >> 32));
    bk_w32(b + QUEUE_AVAIL_LO, (uint32_t)(pa + AVAIL_OFF));
    bk_w32(b + QUEUE_AVAIL_HI, (uint32_t)((pa + AVAIL_OFF) >> 32));
    bk_w32(b + QUEUE_USED_LO, (uint32_t)(pa + USED_OFF));
    bk_w32(b + QUEUE_USED_HI, (uint32_t)((pa + USED_OFF) >> 32));
    bk_w32(b + QUEUE_READY, 1);
  } else {
    bk_w32(b + QUEUE_ALIGN, PAGE);
    bk_w32(b + QUEUE_PFN, (uint32_t)(pa / PAGE));
  }
  return 0;
}

void virtio_driver_ok(struct virtio_dev *vd) {
  uint32_t s = S_ACK | S_DRIVER | (vd->version == 2 ? S_FEATURES_OK : 0);
  bk_w32(vd->base + STATUS, s | S_DRIVER_OK);
}

int virtio_submit(struct virtio_dev *vd, struct vq *q, struct vq_desc *chain, unsigned n, uint64_t timeout_us) {
  volatile struct vq_desc *desc = (volatile struct vq_desc *)q->mem;
  volatile uint16_t *avail = (volatile uint16_t *)(q->mem + AVAIL_OFF); /* flags, idx, ring[] */
  volatile uint16_t *used_idx = (volatile uint16_t *)(q->mem + USED_OFF + 2);
  for (unsigned i = 0; i < n; i++) {
    desc[i].addr = chain[i].addr;
    desc[i].len = chain[i].len;
    desc[i].flags = (uint16_t)(chain[i].flags | (i + 1 < n ? VQ_DESC_F_NEXT : 0));
    desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
  }
  uint16_t idx = avail[1];
  avail[2 + idx % VQ_SIZE] = 0; /* head descriptor */
  bk_mb();
  avail[1] = (uint16_t)(idx + 1);
  bk_mb();
  bk_w32(vd->base + QUEUE_NOTIFY, q->index);
  uint64_t end = bk_now_us() + timeout_us;
  while (*used_idx == q->last_used) {
    if (bk_now_us() > end) return -1;
  }
  q->last_used = *used_idx;
  return 0;
}

void virtio_describe(struct virtio_dev *vd, struct bk_buf *d) {
  bk_buf_puts(d, "base=");
  bk_buf_hex(d, vd->base);
  bk_buf_puts(d, vd->version == 2 ? ",transport=modern" : ",transport=legacy");
}
