/*
 * The per-run config block. The host finds it by its 16-byte magic and patches nonce, addresses
 * and flags into the image file before each boot (src/payload/config-block.ts). The defaults here
 * are deliberately empty: no network constant is baked in, and an unpatched image reports
 * `config=unpatched` and fails.
 */
#include "bk.h"

__attribute__((section(".bkconfig"), used)) volatile struct bk_config bk_config = {
    /* "BOARDKIT" + 8 random bytes: unique in the image (the patcher refuses two matches). */
    .magic = {'B', 'O', 'A', 'R', 'D', 'K', 'I', 'T', 0x9e, 0x1d, 0x57, 0xa3, 0xc4, 0x60, 0x2b, 0xf1},
    .version = BK_CONFIG_VERSION,
    .length = sizeof(struct bk_config),
    .flags = 0,
    .disk_sig_offset = 440, /* MBR disk signature (UEFI spec 2.9 §5.2.1, Table 5-1) */
    .disk_sig_length = 4,
};

_Static_assert(sizeof(struct bk_config) == 96, "config block layout is shared with the host");
