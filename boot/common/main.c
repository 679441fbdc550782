/*
 * The boot report (format: boot/README.md). One line per fact, each starting with "BOARDKIT ",
 * so a host can grep them out of any console noise (firmware banners, OpenSBI, OVMF).
 */
#include "bk.h"

volatile uint32_t bk_sd_route_selected;

uint8_t bk_gpio_secret_byte(unsigned i) { return bk_config.nonce[15u - (i % 16u)]; }

static void (*deferred_fn)(const struct bk_dev *);
static const struct bk_dev *deferred_dev;

void bk_defer(void (*fn)(const struct bk_dev *dev), const struct bk_dev *dev) {
  deferred_fn = fn;
  deferred_dev = dev;
}

static void line_begin(void) { bk_puts("BOARDKIT "); }

static void print_nonce(void) {
  char tmp[40];
  struct bk_buf b = {tmp, 0, sizeof tmp};
  bk_buf_bytes_hex(&b, bk_config.nonce, sizeof bk_config.nonce);
  bk_puts(tmp);
}

static int run_driver(const struct bk_driver_entry *e) {
  char tmp[192];
  struct bk_buf d = {tmp, 0, sizeof tmp};
  tmp[0] = 0;
  int rc;
#if BK_FAKE_OK
  /* testOnlyFakeOk: claim success without touching the hardware, so tests can prove that the
   * host-side oracles catch a payload that lies. */
  bk_buf_puts(&d, e->fake_detail);
  rc = 0;
#else
  rc = e->fn(&e->dev, &d);
#endif
  line_begin();
  bk_puts("driver=");
  bk_puts(e->kind);
  bk_puts(rc == 0 ? " status=ok detail=" : " status=fail detail=");
  bk_puts(e->controller);
  if (d.len) {
    bk_putc(',');
    bk_puts(tmp);
  }
  bk_putc('\n');
  return rc;
}

void bk_main(void) {
  bk_console_init();
  bk_puts("\n");
  line_begin();
  bk_puts("stage=payload board=" BK_BOARD_ID " nonce=");
  print_nonce();
  /* A test-only build says so on its first line: the host refuses it outside the tests. */
  if (BK_BUILD_MARK[0]) bk_puts(" build=" BK_BUILD_MARK);
  bk_putc('\n');

  char tmp[96];
  struct bk_buf info = {tmp, 0, sizeof tmp};
  tmp[0] = 0;
  bk_arch_describe(&info);
  line_begin();
  bk_puts("info arch=" BK_ARCH " ");
  bk_puts(tmp);
  bk_putc('\n');

  int ok = 1;
  int valid = bk_config.version == BK_CONFIG_VERSION && bk_config.length == sizeof(struct bk_config);
  if (!valid || !(bk_config.flags & BK_CONFIG_FLAG_PATCHED)) {
    line_begin();
    bk_puts(valid ? "config=unpatched\n" : "config=invalid\n");
    ok = 0;
  }
  if (bk_config.flags & BK_CONFIG_FLAG_FAULT_PROBE) bk_arch_fault_probe();
  for (unsigned i = 0; i < bk_driver_count; i++)
    if (run_driver(&bk_drivers[i]) != 0) ok = 0;
  line_begin();
  bk_puts(ok ? "result=pass\n" : "result=fail\n");
  if (deferred_fn) deferred_fn(deferred_dev);
  if (bk_config.flags & BK_CONFIG_FLAG_POWEROFF) bk_poweroff();
  bk_halt();
}

void bk_fault(uint64_t pc, uint64_t addr, uint64_t cause) {
  bk_puts("\nBOARDKIT fault pc=");
  bk_put_hex(pc);
  bk_puts(" addr=");
  bk_put_hex(addr);
  bk_puts(" cause=");
  bk_put_hex(cause);
  bk_putc('\n');
  bk_halt();
}
