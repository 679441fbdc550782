/*
 * BCM2835 GPIO (BCM2835 ARM Peripherals §6.1, GPFSELn at 0x00-0x14, 3 bits per pin; §6.2 "Alternative
 * Function Assignments"): GPIO 48-53 carry the SD card. ALT0 routes them to SDHOST, ALT3 to the
 * Arasan SDHCI ("SD1"). arg[1] = 0 → sdhost (ALT0), 1 → sdhci (ALT3).
 * Evidence: the storage driver after this one can only read the card through the controller
 * these writes selected (QEMU hw/gpio/bcm2835_gpio.c moves the card between the two SD buses
 * on exactly these function selects; it models the SDHCI route as all-inputs, which is also its
 * reset state).
 */
#include "bk.h"

#define GPFSEL4 0x10u
#define GPFSEL5 0x14u

static void set_fsel(uintptr_t base, unsigned pin, uint32_t fn) {
  uintptr_t reg = base + (pin / 10u) * 4u;
  unsigned shift = (pin % 10u) * 3u;
  bk_w32(reg, (bk_r32(reg) & ~(7u << shift)) | fn << shift);
}

static uint32_t get_fsel(uintptr_t base, unsigned pin) {
  return (bk_r32(base + (pin / 10u) * 4u) >> ((pin % 10u) * 3u)) & 7u;
}

int bk_drv_bcm2835_gpio(const struct bk_dev *dev, struct bk_buf *d) {
  uint32_t fn = dev->arg[1] ? 7u : 4u; /* ALT3 : ALT0 */
  for (unsigned pin = 48; pin <= 53; pin++) set_fsel(dev->base, pin, fn);
  bk_buf_puts(d, "pins=48-53,route=");
  bk_buf_puts(d, dev->arg[1] ? "sdhci" : "sdhost");
  bk_buf_puts(d, ",fsel=");
  bk_buf_dec(d, fn);
  for (unsigned pin = 48; pin <= 53; pin++)
    if (get_fsel(dev->base, pin) != fn) {
      bk_buf_puts(d, ",readback-mismatch-pin=");
      bk_buf_dec(d, pin);
      return -1;
    }
  return 0;
}
