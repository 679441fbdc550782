/*
 * The slice of UEFI this payload uses (UEFI Specification 2.9): system table (§4.3), boot
 * services (§4.4), runtime ResetSystem (§8.5.1), Graphics Output Protocol (§12.9) and the PI
 * CPU Architectural Protocol (PI Specification 1.7 vol. 2 §12.3) for exception handlers.
 * Built with clang -target x86_64-unknown-windows, whose default calling convention is the
 * Microsoft x64 ABI that EFIAPI requires.
 */
#ifndef BK_EFI_H
#define BK_EFI_H
#include <stdint.h>

typedef uint64_t efi_status;
typedef void *efi_handle;
typedef uint16_t char16;

typedef struct {
  uint32_t d1;
  uint16_t d2, d3;
  uint8_t d4[8];
} efi_guid;

typedef struct {
  uint64_t signature;
  uint32_t revision, header_size, crc32, reserved;
} efi_table_header;

typedef struct efi_simple_text_output {
  void *reset;
  efi_status (*output_string)(struct efi_simple_text_output *self, const char16 *s);
} efi_simple_text_output;

typedef struct {
  efi_table_header hdr;
  void *raise_tpl, *restore_tpl;
  void *allocate_pages, *free_pages, *get_memory_map, *allocate_pool, *free_pool;
  void *create_event, *set_timer, *wait_for_event, *signal_event, *close_event, *check_event;
  void *install_protocol_interface, *reinstall_protocol_interface, *uninstall_protocol_interface;
  void *handle_protocol, *reserved, *register_protocol_notify, *locate_handle, *locate_device_path;
  void *install_configuration_table;
  void *load_image, *start_image, *exit, *unload_image, *exit_boot_services;
  void *get_next_monotonic_count;
  efi_status (*stall)(uint64_t microseconds);
  efi_status (*set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t size, char16 *data);
  void *connect_controller, *disconnect_controller;
  void *open_protocol, *close_protocol, *open_protocol_information;
  void *protocols_per_handle, *locate_handle_buffer;
  efi_status (*locate_protocol)(const efi_guid *protocol, void *registration, void **interface);
} efi_boot_services;

typedef struct {
  efi_table_header hdr;
  void *get_time, *set_time, *get_wakeup_time, *set_wakeup_time;
  void *set_virtual_address_map, *convert_pointer;
  void *get_variable, *get_next_variable_name, *set_variable;
  void *get_next_high_monotonic_count;
  void (*reset_system)(uint32_t type, efi_status status, uint64_t size, void *data);
} efi_runtime_services;

typedef struct {
  efi_table_header hdr;
  char16 *firmware_vendor;
  uint32_t firmware_revision;
  efi_handle console_in_handle;
  void *con_in;
  efi_handle console_out_handle;
  efi_simple_text_output *con_out;
  efi_handle standard_error_handle;
  efi_simple_text_output *std_err;
  efi_runtime_services *runtime_services;
  efi_boot_services *boot_services;
  uint64_t number_of_table_entries;
  void *configuration_table;
} efi_system_table;

/* Graphics Output Protocol (§12.9.2). */
enum { PIXEL_RGB_RESERVED_8BIT = 0, PIXEL_BGR_RESERVED_8BIT = 1, PIXEL_BIT_MASK = 2, PIXEL_BLT_ONLY = 3 };

typedef struct {
  uint32_t version, horizontal_resolution, vertical_resolution, pixel_format;
  uint32_t red_mask, green_mask, blue_mask, reserved_mask;
  uint32_t pixels_per_scan_line;
} efi_gop_mode_info;

typedef struct {
  uint32_t max_mode, mode;
  efi_gop_mode_info *info;
  uint64_t size_of_info;
  uint64_t frame_buffer_base, frame_buffer_size;
} efi_gop_mode;

typedef struct efi_gop {
  efi_status (*query_mode)(struct efi_gop *self, uint32_t mode, uint64_t *size, efi_gop_mode_info **info);
  efi_status (*set_mode)(struct efi_gop *self, uint32_t mode);
  void *blt;
  efi_gop_mode *mode;
} efi_gop;

/* EFI_SYSTEM_CONTEXT_X64 (UEFI 2.9 §18.2.5, Debug Support protocol). */
typedef struct {
  uint64_t exception_data;
  uint8_t fx_save_state[512];
  uint64_t dr0, dr1, dr2, dr3, dr6, dr7;
  uint64_t cr0, cr1, cr2, cr3, cr4, cr8;
  uint64_t rflags, ldtr, tr, gdtr[2], idtr[2];
  uint64_t rip;
  uint64_t gs, fs, es, ds, cs, ss;
  uint64_t rdi, rsi, rbp, rsp, rbx, rdx, rcx, rax;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
} efi_system_context_x64;

typedef void (*efi_cpu_interrupt_handler)(int64_t type, efi_system_context_x64 *ctx);

typedef struct efi_cpu_arch {
  void *flush_data_cache, *enable_interrupt, *disable_interrupt, *get_interrupt_state, *init;
  efi_status (*register_interrupt_handler)(struct efi_cpu_arch *self, int64_t type, efi_cpu_interrupt_handler handler);
} efi_cpu_arch;

extern efi_system_table *bk_efi_st;
extern efi_handle bk_efi_image;

#define EFI_SUCCESS 0u
#define EFI_RESET_SHUTDOWN 2u

#endif
