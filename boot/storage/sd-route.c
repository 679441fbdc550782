/*
 * The Pi's two SD controllers behind one storage entry: BCM2835 GPIO 48-53 route the card to
 * SDHOST (ALT0) or to the Arasan SDHCI (ALT3) (BCM2835 ARM Peripherals §6.2). The GPIO driver
 * records the route it wrote (bk_sd_route_selected); the storage driver reads the card through
 * that controller, at its own base or at arg[2], the other controller's base, and says which one
 * it used (`via=`), so the host can check the route against the function selects it reads back.
 * Without a GPIO driver in the set (route 0) each entry uses its own controller.
 */
#include "bk.h"
#include "sd-card.h"

static int read_routed(const struct bk_dev *dev, struct bk_buf *d, uint32_t own) {
  uint32_t route = bk_sd_route_selected;
  uintptr_t base = dev->base;
  if (route != BK_SD_ROUTE_AS_BUILT && route != own) {
    if (!dev->arg[2]) {
      bk_buf_puts(d, "route-controller-not-built");
      return -1;
    }
    base = dev->arg[2];
  } else route = own;
  bk_buf_puts(d, route == BK_SD_ROUTE_SDHCI ? "via=sdhci," : "via=sdhost,");
  return route == BK_SD_ROUTE_SDHCI ? bk_sd_read_sdhci(base, d) : bk_sd_read_sdhost(base, d);
}

int bk_drv_sdhost(const struct bk_dev *dev, struct bk_buf *d) { return read_routed(dev, d, BK_SD_ROUTE_SDHOST); }

int bk_drv_sdhci(const struct bk_dev *dev, struct bk_buf *d) { return read_routed(dev, d, BK_SD_ROUTE_SDHCI); }
