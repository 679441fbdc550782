/*
 * boardkit reference payload: shared runtime declarations.
 *
 * Board facts never appear in C: every base address, clock and driver choice comes from the
 * generated header `bk-gen.h` and the generated driver table `bk-drivers.c`, both written by the
 * host-side builder (src/payload/) from a PayloadBuildSpec.
 */
#ifndef BK_H
#define BK_H

#include <stddef.h>
#include <stdint.h>

#include "bk-gen.h"

#define BK_NORETURN __attribute__((noreturn))
#define BK_ALIGNED(n) __attribute__((aligned(n)))

/* ---- MMIO and barriers ---------------------------------------------------------------- */
static inline void bk_mb(void) {
#if defined(__riscv)
  __asm__ volatile("fence iorw, iorw" ::: "memory");
#elif defined(__aarch64__)
  __asm__ volatile("dsb sy" ::: "memory");
#else
  __asm__ volatile("mfence" ::: "memory");
#endif
}
static inline void bk_w32(uintptr_t a, uint32_t v) { bk_mb(); *(volatile uint32_t *)a = v; }
static inline uint32_t bk_r32(uintptr_t a) { uint32_t v = *(volatile uint32_t *)a; bk_mb(); return v; }
static inline void bk_w16(uintptr_t a, uint16_t v) { bk_mb(); *(volatile uint16_t *)a = v; }
static inline uint16_t bk_r16(uintptr_t a) { uint16_t v = *(volatile uint16_t *)a; bk_mb(); return v; }
static inline void bk_w8(uintptr_t a, uint8_t v) { bk_mb(); *(volatile uint8_t *)a = v; }
static inline uint8_t bk_r8(uintptr_t a) { uint8_t v = *(volatile uint8_t *)a; bk_mb(); return v; }

/* Open-coded: rv64imac has no byte-reverse instruction and Debian's riscv64-unknown-elf libgcc is
 * built for the double-float ABI, so __builtin_bswap* would pull an unlinkable __bswapsi2. */
static inline uint16_t bk_bswap16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }
static inline uint32_t bk_bswap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}
static inline uint64_t bk_bswap64(uint64_t v) { return (uint64_t)bk_bswap32((uint32_t)v) << 32 | bk_bswap32((uint32_t)(v >> 32)); }

/* ---- freestanding libc subset (GCC may emit calls to these) ---------------------------- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t bk_strlen(const char *s);

/* ---- console ---------------------------------------------------------------------------- */
void bk_console_init(void);
void bk_putc(char c);
void bk_puts(const char *s);
void bk_put_hex(uint64_t v);

/* A bounded string builder for `detail=` fields. */
struct bk_buf {
  char *p;
  size_t len;
  size_t cap;
};
void bk_buf_puts(struct bk_buf *b, const char *s);
void bk_buf_hex(struct bk_buf *b, uint64_t v);      /* 0x-prefixed, minimal digits */
void bk_buf_hex_n(struct bk_buf *b, uint64_t v, int digits); /* 0x-prefixed, fixed digits */
void bk_buf_dec(struct bk_buf *b, uint64_t v);
void bk_buf_bytes_hex(struct bk_buf *b, const volatile uint8_t *p, size_t n); /* no prefix */

/* ---- time (arch) ------------------------------------------------------------------------ */
uint64_t bk_now_us(void);
void bk_udelay(uint64_t us);

/* ---- arch ------------------------------------------------------------------------------- */
BK_NORETURN void bk_halt(void);
/* Powers the machine off if the arch and board allow it (BK_EXIT_* in bk-gen.h); returns if not. */
void bk_poweroff(void);
BK_NORETURN void bk_fault(uint64_t pc, uint64_t addr, uint64_t cause);
/* Identifies how the payload was entered (EL, hart id, ...) for the report's info line. */
void bk_arch_describe(struct bk_buf *b);
/* Loads from an address this arch cannot access, to prove the fault path (config flag). */
void bk_arch_fault_probe(void);

/* ---- per-run config block (see boot/README.md and src/payload/config-block.ts) ----------- */
#define BK_CONFIG_VERSION 1u
#define BK_CONFIG_FLAG_PATCHED 0x1u  /* set by the host patcher; unpatched images fail the run */
#define BK_CONFIG_FLAG_POWEROFF 0x2u /* power off after the report instead of halting */
#define BK_CONFIG_FLAG_FAULT_PROBE 0x4u /* self-test: take a deliberate fault before the drivers */

struct bk_config {
  uint8_t magic[16];
  uint16_t version;
  uint16_t length;
  uint32_t flags;
  uint8_t nonce[16];
  uint8_t mac[6];
  uint16_t src_port;
  uint8_t ip[4];
  uint8_t peer_ip[4];
  uint16_t peer_port;
  uint16_t reserved0;
  uint32_t gpio_wait_ms;
  uint64_t disk_sig_offset;
  uint32_t disk_sig_length;
  uint32_t sd_route; /* BK_SD_ROUTE_*: which SD controller the GPIO route selects this run (0 = as built) */
  uint8_t reserved[16];
} __attribute__((packed, aligned(16)));

#define BK_SD_ROUTE_AS_BUILT 0u
#define BK_SD_ROUTE_SDHOST 1u
#define BK_SD_ROUTE_SDHCI 2u

/* Read through a volatile pointer: the host rewrites these bytes after linking. */
extern volatile struct bk_config bk_config;

/* ---- drivers ------------------------------------------------------------------------------ */
struct bk_dev {
  uintptr_t base;
  uint32_t arg[4]; /* controller-specific, documented per driver (slots, stride, line, ...) */
};
typedef int (*bk_driver_fn)(const struct bk_dev *dev, struct bk_buf *detail);

struct bk_driver_entry {
  const char *kind;       /* uart | gpio | framebuffer | storage | ethernet */
  const char *controller; /* pl061, virtio-blk, ... */
  bk_driver_fn fn;
  struct bk_dev dev;
  const char *fake_detail; /* printed in testOnlyFakeOk builds instead of running fn */
};
extern const struct bk_driver_entry bk_drivers[];
/* Runs `fn(dev)` after the result line: for effects that end the run (e.g. a reset pin). */
void bk_defer(void (*fn)(const struct bk_dev *dev), const struct bk_dev *dev);
extern const unsigned bk_driver_count;

/* The SD route the GPIO driver selected (BK_SD_ROUTE_*; 0 when no GPIO driver ran): storage
 * drivers read the card through the controller it names (boot/gpio/bcm2835-gpio.c). */
extern volatile uint32_t bk_sd_route_selected;

/* Bytes of the GPIO secret, derived from the nonce (mirrors src/payload/gpio-oracle.ts
 * gpioSecret): the value GPIO drivers write into registers the host reads back over the
 * monitor, so only a driver that wrote the controller this run can match it. */
uint8_t bk_gpio_secret_byte(unsigned i);

/* ---- shared helpers ------------------------------------------------------------------------ */
/* The nonce-seeded framebuffer pattern (mirrors src/payload/fb-pattern.ts). */
uint32_t bk_pattern_rgb(unsigned x, unsigned y, unsigned width, unsigned height);
/* Fills a 32-bit-per-pixel framebuffer (0x00RRGGBB words, or 0x00BBGGRR with swap_rb). */
void bk_pattern_draw32(uintptr_t fb, unsigned width, unsigned height, unsigned stride_bytes, int swap_rb);
/* Draws the pattern into a firmware-provided framebuffer and writes the report detail
 * (mode=WxHx32,pattern=nonce,order=rgb|bgr,fb=ADDR): the host checks it against a screendump. */
void bk_pattern_show(struct bk_buf *d, uintptr_t fb, unsigned width, unsigned height, unsigned stride_bytes, int rgb);
/* First free RAM after the image, .bss and stack (linker script), 4 KiB aligned. */
extern uint8_t __free_start[];
/* Builds the broadcast UDP report frame; returns its length. */
size_t bk_build_udp_report(uint8_t *frame, size_t cap);
/* Formats the driver name, base and `sig=` for storage drivers from one 512-byte sector. */
int bk_report_disk_sig(struct bk_buf *d, const uint8_t *sector, uint64_t sector_lba);

#endif
