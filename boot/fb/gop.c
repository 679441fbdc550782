/*
 * UEFI Graphics Output Protocol (UEFI 2.9 §12.9): locate GOP, pick the mode with the requested
 * size (QueryMode/SetMode), draw into FrameBufferBase with PixelsPerScanLine. Pixel formats
 * PixelBlueGreenRedReserved8BitPerColor (words 0x00RRGGBB) and PixelRedGreenBlue... (0x00BBGGRR)
 * are drawn directly; BltOnly modes are reported as failures. arg[0]/arg[1] = width/height.
 */
#include "bk.h"
#include "efi.h"

static const efi_guid gop_guid = {0x9042a9de, 0x23dc, 0x4a38, {0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a}};

int bk_drv_gop(const struct bk_dev *dev, struct bk_buf *d) {
  uint32_t w = dev->arg[0], h = dev->arg[1];
  efi_gop *gop = 0;
  if (bk_efi_st->boot_services->locate_protocol(&gop_guid, 0, (void **)&gop) != EFI_SUCCESS || !gop) {
    bk_buf_puts(d, "no-gop (no display device?)");
    return -1;
  }
  uint32_t found = gop->mode->max_mode;
  for (uint32_t m = 0; m < gop->mode->max_mode; m++) {
    uint64_t size;
    efi_gop_mode_info *info;
    if (gop->query_mode(gop, m, &size, &info) == EFI_SUCCESS && info->horizontal_resolution == w && info->vertical_resolution == h &&
        (info->pixel_format == PIXEL_BGR_RESERVED_8BIT || info->pixel_format == PIXEL_RGB_RESERVED_8BIT)) {
      found = m;
      break;
    }
  }
  if (found == gop->mode->max_mode) {
    bk_buf_puts(d, "no-mode=");
    bk_buf_dec(d, w);
    bk_buf_puts(d, "x");
    bk_buf_dec(d, h);
    return -1;
  }
  if (gop->mode->mode != found && gop->set_mode(gop, found) != EFI_SUCCESS) {
    bk_buf_puts(d, "set-mode-failed");
    return -1;
  }
  efi_gop_mode_info *info = gop->mode->info;
  int rgb = info->pixel_format == PIXEL_RGB_RESERVED_8BIT;
  uintptr_t fb = (uintptr_t)gop->mode->frame_buffer_base;
  bk_pattern_show(d, fb, w, h, info->pixels_per_scan_line * 4u, rgb);
  return 0;
}
