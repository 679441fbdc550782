/*
 * BCM2835 GPIO (BCM2835 ARM Peripherals §6.1, GPFSELn at 0x00-0x14, 3 bits per pin; §6.2 "Alternative
 * Function Assignments"): GPIO 48-53 carry the SD card. ALT0 routes them to SDHOST, ALT3 to the
 * Arasan SDHCI ("SD1"). The route is the config block's sd_route when the host set one (a fresh
 * choice per run), else arg[1] (0 → sdhost, 1 → sdhci) from the build.
 * Evidence: the storage driver after this one reads the card through the controller this route
 * names (bk_sd_route_selected) and reports it as `via=`; the host reads GPFSEL4/GPFSEL5 back
 * over the QEMU monitor and checks pins 48-53 hold this run's function. QEMU hw/gpio/bcm2835_gpio.c
 * moves the card between the two SD buses on exactly these function selects (it models the
 * SDHCI route as all-inputs, which is also its reset state).
 */
#include "bk.h"

#define FSEL_ALT0 4u
#define FSEL_ALT3 7u

#if !BK_SKIP_GPIO
static void set_fsel(uintptr_t base, unsigned pin, uint32_t fn) {
  uintptr_t reg = base + (pin / 10u) * 4u;
  unsigned shift = (pin % 10u) * 3u;
  bk_w32(reg, (bk_r32(reg) & ~(7u << shift)) | fn << shift);
}

static uint32_t get_fsel(uintptr_t base, unsigned pin) {
  return (bk_r32(base + (pin / 10u) * 4u) >> ((pin % 10u) * 3u)) & 7u;
}
#endif

int bk_drv_bcm2835_gpio(const struct bk_dev *dev, struct bk_buf *d) {
  uint32_t route = bk_config.sd_route;
  if (route != BK_SD_ROUTE_SDHOST && route != BK_SD_ROUTE_SDHCI) route = dev->arg[1] ? BK_SD_ROUTE_SDHCI : BK_SD_ROUTE_SDHOST;
  uint32_t fn = route == BK_SD_ROUTE_SDHCI ? FSEL_ALT3 : FSEL_ALT0;
  bk_buf_puts(d, "pins=48-53,route=");
  bk_buf_puts(d, route == BK_SD_ROUTE_SDHCI ? "sdhci" : "sdhost");
  bk_buf_puts(d, ",fsel=");
  bk_buf_dec(d, fn);
#if !BK_SKIP_GPIO
  for (unsigned pin = 48; pin <= 53; pin++) set_fsel(dev->base, pin, fn);
  for (unsigned pin = 48; pin <= 53; pin++)
    if (get_fsel(dev->base, pin) != fn) {
      bk_buf_puts(d, ",readback-mismatch-pin=");
      bk_buf_dec(d, pin);
      return -1;
    }
#endif
  /* The test-only BK_SKIP_GPIO variant writes nothing, but storage still takes the route. */
  bk_sd_route_selected = route;
  return 0;
}
