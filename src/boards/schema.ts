import { z } from 'zod';

/**
 * The board profile schema: the single source of the TypeScript types (`z.infer`) and of the
 * generated `boards/board.schema.json` (`boardkit boards schema`, kept in sync by a test).
 * Every object is strict: unknown keys are errors. Semantic rules that span fields live in
 * `rules.ts`, each with a name.
 */

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'ids are lower-case kebab-case, e.g. rpi4b or qemu-riscv64-virt');

/** Physical address or size. YAML takes hex literals (0x3F201000). */
const address = z.number().int().nonnegative().describe('physical address or size (YAML hex literal, e.g. 0x10000000)');

const artifactId = z.string().min(1).describe('artefact id from firmware-manifests/*.yaml');

export const ARCHES = ['aarch64', 'riscv64', 'x86_64'] as const;
export const UART_TYPES = ['pl011', 'bcm2835-aux', 'ns16550a', 'sifive', 'pc-com'] as const;
export const DRIVER_KINDS = ['uart', 'gpio', 'framebuffer', 'storage', 'ethernet'] as const;
export const MEDIA = ['sd', 'emmc', 'usb-drive', 'spi-nor', 'virtio', 'nvme', 'tftp', 'pxe', 'usb-rpiboot', 'dfu'] as const;
export const FLASH_METHODS = ['sd', 'emmc', 'usb-drive', 'usb-rpiboot', 'dfu', 'tftp', 'pxe'] as const;
export const EMULATION_MODES = ['firmware-only', 'kernel', 'netboot', 'image'] as const;

const region = z.strictObject({
  name: z.string().min(1),
  base: address,
  size: address,
  kind: z.enum(['ram', 'mmio', 'rom', 'io-port', 'flash', 'pcie-ecam']),
});

const memory = z.strictObject({
  ram: z.strictObject({ base: address, size: address }),
  /** Where the payload is linked/loaded (absent for PE/UEFI payloads, which relocate). */
  loadAddress: address.optional(),
  dtbAddress: address.optional(),
  regions: z.array(region).min(1).describe('the memory map: RAM and every device window the profile names'),
});

const bootStage = z.strictObject({
  stage: id,
  kind: z.enum(['rom', 'eeprom', 'firmware', 'spl', 'sbi', 'bootloader', 'payload']),
  description: z.string().optional(),
  artifacts: z.array(artifactId).optional(),
  /** Media this stage can load the next stage from: decides which flash methods are servable. */
  loadsFrom: z.array(z.enum(MEDIA)).optional(),
});

const firmwareConfig = z.strictObject({
  format: z.enum(['rpi-config-txt', 'uboot-env', 'none']),
  /** Lines of the config file, in order (e.g. `arm_64bit=1`). */
  entries: z.array(z.string()),
});

const consoleSpec = z.strictObject({
  /** Name of the uart controller (in drivers.uart) that is the console. */
  uart: z.string().min(1),
  type: z.enum(UART_TYPES),
  base: address,
  baud: z.number().int().positive(),
  format: z.literal('8N1').optional(),
  osName: z.string().optional(),
  earlycon: z.string().optional(),
  clockHz: z.number().int().positive().optional(),
  pins: z.tuple([z.number().int(), z.number().int()]).optional().describe('TX/RX GPIO numbers'),
});

const controller = z.strictObject({
  name: z.string().min(1),
  compatible: z.string().min(1),
  /** Absent only for firmware-provided devices (UEFI GOP). */
  base: address.optional(),
  size: address.optional(),
  irq: z.number().int().nonnegative().optional(),
  io: z.enum(['mmio', 'port', 'firmware']).default('mmio'),
  /** Firmware configuration lines this controller needs (e.g. `enable_uart=1`). */
  firmwareConfig: z.array(z.string()).optional(),
  /** The QEMU -device that provides it under emulation (e.g. virtio-blk-device, ramfb). */
  qemuDevice: z.string().optional(),
  /** The reference payload driver for it (boot/; `src/payload/spec.ts` CONTROLLERS); default: name. */
  driver: z.string().optional(),
  /** What that driver needs to know beyond the base address. */
  params: z
    .strictObject({
      /** virtio-mmio: transports to scan from base, and their spacing. */
      slots: z.number().int().positive().optional(),
      stride: z.number().int().positive().optional(),
      /** gpio: the line the payload watches or drives. */
      line: z.number().int().nonnegative().optional(),
      /** bcm2835-gpio: which SD host GPIO 48-53 route the card to. */
      sdRoute: z.enum(['sdhost', 'sdhci']).optional(),
      /**
       * gpio: how the host proves the line works, each with a secret fresh per run
       * (src/workflows/payload-oracles.ts). powerdown-edge: the host pulses the line (QMP
       * system_powerdown) a random number of times and the payload must count them, and the
       * nonce-derived output pattern must be in the registers; reset-event: the nonce pattern is
       * read back before the payload pulls the reset line, then a QMP RESET follows; sd-route: the
       * host picks the route, the function selects must hold it and the card must be read through
       * the routed controller.
       */
      oracle: z.enum(['powerdown-edge', 'reset-event', 'sd-route']).optional(),
      width: z.number().int().positive().optional(),
      height: z.number().int().positive().optional(),
    })
    .optional(),
  notes: z.string().optional(),
});

/** Either the controllers the payload drives, or why this board's set has none. */
const driverEntry = z.strictObject({
  controllers: z.array(controller).min(1).optional(),
  unsupported: z.string().min(1).optional(),
});

const drivers = z.strictObject({
  uart: driverEntry,
  gpio: driverEntry,
  framebuffer: driverEntry,
  storage: driverEntry,
  ethernet: driverEntry,
});

/** How the reference payload is built and ends on this board. */
const payload = z.strictObject({
  format: z.enum(['elf+bin', 'efi']).default('elf+bin'),
  /** How it powers off when the host asks (config block flag). */
  exit: z.enum(['sbi-srst', 'psci-hvc', 'psci-smc', 'efi-reset', 'none']).default('none'),
  /** riscv64: the `time` CSR frequency (the DTB's timebase-frequency). */
  timerHz: z.number().int().positive().optional(),
});

const storage = z.strictObject({
  media: z.array(z.enum(MEDIA)).min(1),
  table: z.enum(['mbr', 'gpt', 'none', 'any']),
  layout: z.string().min(1),
});

const flashMethod = z.strictObject({
  method: z.enum(FLASH_METHODS),
  notes: z.string().optional(),
});

const netboot = z.strictObject({
  protocols: z.array(z.enum(['dhcp', 'tftp', 'pxe', 'http'])).min(1),
  /** DHCP option 60 prefix the board's client sends (e.g. `U-Boot`, `PXEClient`). */
  vendorClass: z.string().optional(),
  /** DHCP option 93 client architecture (RFC 4578 / IANA: 7 = x64 UEFI, 11 = ARM64 UEFI, 27 = RISC-V 64 UEFI). */
  clientArch: z.number().int().nonnegative().optional(),
  bootFile: z.string().min(1),
  /** How the client prefixes TFTP paths (Pi: its serial number directory). */
  tftpPrefix: z.enum(['none', 'serial']).default('none'),
  notes: z.string().optional(),
});

const emulationMode = z.strictObject({
  /** `-bios`: an artefact id, or `none`. */
  bios: z.string().optional(),
  /** `-kernel`: an artefact id, or `@payload` for the user's kernel/payload. */
  kernel: z.string().optional(),
  /** pflash images in order (artefact ids). */
  pflash: z.array(artifactId).optional(),
  /** How the disk image is attached in this mode. */
  drive: z.enum(['none', 'sd', 'virtio-blk', 'fat-dir', 'ahci']).default('none'),
  machineOptions: z.array(z.string()).optional(),
  /**
   * QEMU `-device` for the NIC this mode's network is attached to (e.g. `virtio-net-pci,romfile=`
   * for OVMF's own VirtioNetDxe), when the firmware needs one that the payload's Ethernet driver
   * set does not provide. Default: the first ethernet controller's `qemuDevice`.
   */
  nic: z.string().regex(/^[a-z0-9][a-z0-9_.-]*(,[a-z0-9_.-]+=[^,\s]*)*$/i).optional(),
  /** Boot-verification stages expected in this mode, in order (names from verify.markers). */
  markers: z.array(z.string()).min(1),
});

const quirk = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sd-power-of-two'),
    overlay: z.literal('qcow2'),
    reason: z.string(),
  }),
  z.strictObject({ kind: z.literal('kernel-from-config-txt'), reason: z.string() }),
  z.strictObject({
    kind: z.literal('machine-option'),
    option: z.string().min(1),
    modes: z.array(z.enum(EMULATION_MODES)).min(1),
    reason: z.string(),
  }),
  z.strictObject({ kind: z.literal('writable-vars-copy'), artifact: artifactId, reason: z.string() }),
  z.strictObject({
    kind: z.literal('reserved-gpio'),
    lines: z.array(z.number().int().nonnegative()).min(1),
    reason: z.string(),
  }),
  z.strictObject({ kind: z.literal('virtio-mmio-legacy'), reason: z.string() }),
]);

const emulation = z.strictObject({
  qemu: z.strictObject({
    binary: z.string().regex(/^qemu-system-[a-z0-9_]+$/),
    machine: z.string().min(1),
    cpu: z.string().optional(),
    memory: z.string().regex(/^\d+[MG]$/),
    smp: z.number().int().positive().optional(),
    /** Must be true: without it QEMU adds a default NIC on slirp that reaches the real network. */
    nodefaults: z.boolean(),
  }),
  /** The UART each `-serial` index is wired to, in index order. */
  serial: z.array(z.strictObject({ index: z.number().int().nonnegative(), uart: z.string().min(1) })).min(1),
  modes: z.strictObject({
    'firmware-only': emulationMode.optional(),
    kernel: emulationMode.optional(),
    netboot: emulationMode.optional(),
    image: emulationMode.optional(),
  }),
  quirks: z.array(quirk).default([]),
  /** What the emulated machine does NOT model faithfully. */
  infidelities: z.array(z.string()).default([]),
});

const marker = z.strictObject({
  stage: id,
  /** A bounded regular expression (no `*`, `+` or `{n,}`): matched on ANSI-stripped console text. */
  pattern: z.string().min(1),
  /** For real hardware; a multiplier applies under emulation. */
  timeoutMs: z.number().int().positive(),
});

const failure = z.strictObject({
  name: id,
  pattern: z.string().min(1),
  /** Only counts once this stage has been reached (e.g. an OpenSBI banner after the payload = reset). */
  after: z.string().optional(),
});

const verify = z.strictObject({
  markers: z.array(marker).min(1),
  failures: z.array(failure).default([]),
  /** Prefix of the reference payload's report lines. */
  reportPrefix: z.string().default('BOARDKIT'),
  /**
   * After the last marker (or the report's `result=` line), keep listening this long (ms) with the
   * failure patterns armed: a fault or panic right after the last marker still fails the boot.
   */
  settleMs: z.number().int().nonnegative().max(600_000).default(1000),
});

export const boardProfileSchema = z.strictObject({
  id,
  name: z.string().min(1),
  vendor: z.string().min(1),
  extends: id.optional(),
  description: z.string().optional(),
  arch: z.enum(ARCHES),
  cpu: z.string().min(1),
  soc: z.string().optional(),
  memory,
  bootProtocol: z.enum(['rpi-firmware', 'uboot-spl', 'sbi-jump', 'linux-image', 'uefi']),
  bootChain: z.array(bootStage).min(1),
  firmwareConfig: firmwareConfig.optional(),
  console: consoleSpec,
  drivers,
  payload: payload.optional(),
  storage,
  flash: z.array(flashMethod).min(1),
  netboot: netboot.optional(),
  emulation: emulation.optional(),
  verify,
});

export type BoardProfile = z.infer<typeof boardProfileSchema>;
export type BoardProfileInput = z.input<typeof boardProfileSchema>;
export type DriverKind = (typeof DRIVER_KINDS)[number];
export type DriverEntry = z.infer<typeof driverEntry>;
export type Controller = z.infer<typeof controller>;
export type EmulationMode = (typeof EMULATION_MODES)[number];
export type EmulationRecipe = z.infer<typeof emulation>;
export type EmulationModeSpec = z.infer<typeof emulationMode>;
export type Quirk = z.infer<typeof quirk>;
export type VerifySpec = z.infer<typeof verify>;
export type PayloadFacts = z.infer<typeof payload>;
export type FlashMethod = (typeof FLASH_METHODS)[number];

/** The JSON Schema written to boards/board.schema.json (editors validate profiles with it). */
export function boardJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(boardProfileSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://boardkit.dev/schema/board.schema.json',
    title: 'boardkit board profile',
  };
}

type JsonSchemaNode = { properties?: Record<string, JsonSchemaNode>; items?: JsonSchemaNode; oneOf?: JsonSchemaNode[]; anyOf?: JsonSchemaNode[] };

/**
 * The keys the schema allows in the mapping at `path` (for "did you mean" on an unknown key),
 * in schema order; a union (the quirk kinds) contributes the keys of every variant.
 */
export function allowedKeysAt(path: ReadonlyArray<string | number>, schema: Record<string, unknown> = boardJsonSchema()): string[] {
  let nodes: JsonSchemaNode[] = [schema as JsonSchemaNode];
  const expand = (ns: JsonSchemaNode[]): JsonSchemaNode[] => ns.flatMap((n) => [n, ...expand([...(n.oneOf ?? []), ...(n.anyOf ?? [])])]);
  for (const seg of path) {
    nodes = expand(nodes).flatMap((n) => {
      const next = typeof seg === 'number' ? n.items : n.properties?.[seg];
      return next ? [next] : [];
    });
  }
  return [...new Set(expand(nodes).flatMap((n) => Object.keys(n.properties ?? {})))];
}
