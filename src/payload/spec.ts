/**
 * What the reference payload (`boot/`) is built for: plain data, usually derived by the caller
 * from a board profile's console and driver sets. Nothing board-specific is hard-coded in C; every
 * address and choice here becomes a define or a table entry in the generated sources.
 */
import { UsageError } from '../core/errors.js';

export type PayloadArch = 'riscv64' | 'aarch64' | 'x86_64';
export type PayloadFormat = 'elf+bin' | 'efi';
export type ConsoleType = 'ns16550a' | 'pl011' | 'bcm2835-aux' | 'sifive' | 'pc-com';
export type DriverKind = 'uart' | 'gpio' | 'framebuffer' | 'storage' | 'ethernet';
export type DriverController =
  | ConsoleType
  | 'pl061'
  | 'sifive-gpio'
  | 'bcm2835-gpio'
  | 'ramfb'
  | 'mailbox-fb'
  | 'gop'
  | 'virtio-blk'
  | 'sdhost'
  | 'sdhci'
  | 'virtio-net';

/** How the payload ends a run when the host sets the `poweroff` flag in the config block. */
export type PayloadExit = 'sbi-srst' | 'psci-hvc' | 'psci-smc' | 'efi-reset' | 'none';

export interface ConsoleSpec {
  type: ConsoleType;
  /** MMIO base, or the I/O port base for `pc-com`. */
  base: number;
  /** UART input clock; omit to keep the divisor the firmware (or emulator) programmed. */
  clockHz?: number;
  baud: number;
}

export interface DriverSpec {
  kind: DriverKind;
  controller: DriverController;
  /**
   * The controller's base: MMIO base; for virtio-* the first virtio-mmio transport; for `ramfb`
   * the fw_cfg MMIO base; for `mailbox-fb` the VideoCore mailbox base; for UARTs the UART base.
   * Ignored for `gop` (found through UEFI boot services).
   */
  base: number;
  /** virtio-mmio: number of transports to scan from `base` (default 1). */
  slots?: number;
  /** virtio-mmio: distance between transports (default 0x200). */
  stride?: number;
  /** gpio: the line to watch (pl061: input edge) or to drive (sifive-gpio: output toggle). */
  line?: number;
  /** bcm2835-gpio: where GPIO 48-53 route the SD card (ALT0 = sdhost, ALT3 = sdhci). */
  sdRoute?: 'sdhost' | 'sdhci';
  /**
   * sdhost/sdhci: the base of the other SD controller, which the GPIO route may select for a run
   * (the config block's sd route); the storage driver then reads the card through that one.
   */
  altBase?: number;
  /** framebuffer size (default 640x480). */
  width?: number;
  height?: number;
  /** uart: baud reported in the detail (defaults to the console's). */
  baud?: number;
}

export interface PayloadBuildSpec {
  /** Board id printed in the report (`board=<id>`); [a-z0-9-] only. */
  board: string;
  arch: PayloadArch;
  format: PayloadFormat;
  /** Link address (ignored for `efi`, which is relocatable PE). */
  loadAddress: number;
  console: ConsoleSpec;
  drivers: DriverSpec[];
  /** riscv64: the `time` CSR frequency (DTB timebase-frequency); default 10 MHz (QEMU virt). */
  timerHz?: number;
  /** How to power off when asked to (default: none, i.e. halt). */
  exit?: PayloadExit;
  /**
   * TEST ONLY: drivers print `status=ok` with plausible details without touching hardware, so a
   * test can prove the host oracles reject a lying payload. Never set this for a real run.
   */
  testOnlyFakeOk?: boolean;
  /**
   * TEST ONLY: GPIO drivers skip every GPIO register access but report as usual (and the
   * sifive-gpio variant reboots through SBI instead of its reset line), so a test can prove
   * that each GPIO oracle fails exactly when the GPIO work is skipped. Never for a real run.
   */
  testOnlySkipGpio?: boolean;
}

/** The mark a test-only build prints on its stage line (`build=...`) and records in payload.json. */
export type TestOnlyBuild = 'test-only-fake-ok' | 'test-only-skip-gpio';

/** Which test-only switch a spec sets, if any (both at once is refused by validation). */
export function testOnlyBuildOf(spec: Pick<PayloadBuildSpec, 'testOnlyFakeOk' | 'testOnlySkipGpio'>): TestOnlyBuild | undefined {
  if (spec.testOnlyFakeOk) return 'test-only-fake-ok';
  if (spec.testOnlySkipGpio) return 'test-only-skip-gpio';
  return undefined;
}

interface ControllerInfo {
  kind: DriverKind;
  arches: readonly PayloadArch[];
  /** C sources under boot/ (beyond the common runtime). */
  sources: readonly string[];
  /** C entry point `int fn(const struct bk_dev *, struct bk_buf *)`. */
  fn: string;
  /** What a testOnlyFakeOk build prints: plausible, so only an independent oracle can tell. */
  fakeDetail: string;
}

const SD_SOURCES = ['storage/sd-route.c', 'storage/sdhost.c', 'storage/sdhci.c', 'storage/sd-card.c', 'storage/disk-sig.c'] as const;

/** SD controllers one storage entry can switch between when the GPIO route selects the other. */
export const SD_ROUTE_ALTERNATIVE: Readonly<Partial<Record<DriverController, DriverController>>> = { sdhost: 'sdhci', sdhci: 'sdhost' };

const MMIO_ARCHES: readonly PayloadArch[] = ['riscv64', 'aarch64'];

/** Which controller is which kind, on which arch, built from which sources. Data, not branches. */
export const CONTROLLERS: Readonly<Record<DriverController, ControllerInfo>> = {
  ns16550a: { kind: 'uart', arches: MMIO_ARCHES, sources: ['uart/ns16550a.c', 'uart/uart-report.c'], fn: 'bk_drv_uart', fakeDetail: 'console=yes' },
  pl011: { kind: 'uart', arches: ['aarch64'], sources: ['uart/pl011.c', 'uart/uart-report.c'], fn: 'bk_drv_uart', fakeDetail: 'console=yes' },
  'bcm2835-aux': { kind: 'uart', arches: ['aarch64'], sources: ['uart/bcm2835-aux.c', 'uart/uart-report.c'], fn: 'bk_drv_uart', fakeDetail: 'console=yes' },
  sifive: { kind: 'uart', arches: ['riscv64'], sources: ['uart/sifive-uart.c', 'uart/uart-report.c'], fn: 'bk_drv_uart', fakeDetail: 'console=yes' },
  'pc-com': { kind: 'uart', arches: ['x86_64'], sources: ['uart/pc-com.c', 'uart/uart-report.c'], fn: 'bk_drv_uart', fakeDetail: 'console=yes' },
  pl061: { kind: 'gpio', arches: ['aarch64'], sources: ['gpio/pl061.c'], fn: 'bk_drv_pl061', fakeDetail: 'line=3,edge=rising' },
  'sifive-gpio': { kind: 'gpio', arches: ['riscv64'], sources: ['gpio/sifive-gpio.c'], fn: 'bk_drv_sifive_gpio', fakeDetail: 'line=10,mode=output,action=low-pulse-after-report' },
  'bcm2835-gpio': { kind: 'gpio', arches: ['aarch64'], sources: ['gpio/bcm2835-gpio.c'], fn: 'bk_drv_bcm2835_gpio', fakeDetail: 'pins=48-53,route=sdhost' },
  // aarch64 only: QEMU 7.2 riscv virt's fw_cfg has no DMA, and ramfb refuses to attach there.
  ramfb: { kind: 'framebuffer', arches: ['aarch64'], sources: ['fb/ramfb.c', 'common/pattern.c'], fn: 'bk_drv_ramfb', fakeDetail: 'mode=640x480x32,pattern=nonce' },
  'mailbox-fb': { kind: 'framebuffer', arches: ['aarch64'], sources: ['fb/mailbox-fb.c', 'common/pattern.c'], fn: 'bk_drv_mailbox_fb', fakeDetail: 'mode=640x480x32,pattern=nonce' },
  gop: { kind: 'framebuffer', arches: ['x86_64'], sources: ['fb/gop.c', 'common/pattern.c'], fn: 'bk_drv_gop', fakeDetail: 'mode=640x480x32,pattern=nonce' },
  'virtio-blk': { kind: 'storage', arches: MMIO_ARCHES, sources: ['storage/virtio-blk.c', 'storage/disk-sig.c', 'virtio/virtio-mmio.c'], fn: 'bk_drv_virtio_blk', fakeDetail: 'sig=0x00000000' },
  sdhost: { kind: 'storage', arches: ['aarch64'], sources: SD_SOURCES, fn: 'bk_drv_sdhost', fakeDetail: 'sig=0x00000000' },
  sdhci: { kind: 'storage', arches: ['aarch64'], sources: SD_SOURCES, fn: 'bk_drv_sdhci', fakeDetail: 'sig=0x00000000' },
  'virtio-net': { kind: 'ethernet', arches: MMIO_ARCHES, sources: ['net/virtio-net.c', 'net/udp-report.c', 'virtio/virtio-mmio.c'], fn: 'bk_drv_virtio_net', fakeDetail: 'sent=udp-broadcast' },
};

/** Console UART → C back end (init/putc prefix) and source. */
export const CONSOLE_BACKENDS: Readonly<Record<ConsoleType, { prefix: string; source: string; arches: readonly PayloadArch[] }>> = {
  ns16550a: { prefix: 'bk_ns16550a', source: 'uart/ns16550a.c', arches: MMIO_ARCHES },
  pl011: { prefix: 'bk_pl011', source: 'uart/pl011.c', arches: ['aarch64'] },
  'bcm2835-aux': { prefix: 'bk_bcm2835_aux', source: 'uart/bcm2835-aux.c', arches: ['aarch64'] },
  sifive: { prefix: 'bk_sifive_uart', source: 'uart/sifive-uart.c', arches: ['riscv64'] },
  'pc-com': { prefix: 'bk_pc_com', source: 'uart/pc-com.c', arches: ['x86_64'] },
};

const EXITS: Readonly<Record<PayloadExit, readonly PayloadArch[]>> = {
  'sbi-srst': ['riscv64'],
  'psci-hvc': ['aarch64'],
  'psci-smc': ['aarch64'],
  'efi-reset': ['x86_64'],
  none: ['riscv64', 'aarch64', 'x86_64'],
};

/** Checks a spec and reports every problem at once (UsageError, details.problems). */
export function validatePayloadSpec(spec: PayloadBuildSpec): void {
  const problems: string[] = [];
  const u32 = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff_ffff;
  const addr = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(spec.board)) problems.push(`board id '${spec.board}' must match [a-z0-9-]+`);
  if (!['riscv64', 'aarch64', 'x86_64'].includes(spec.arch)) problems.push(`arch '${spec.arch}' is not supported (riscv64, aarch64, x86_64)`);
  const wantFormat: PayloadFormat = spec.arch === 'x86_64' ? 'efi' : 'elf+bin';
  if (spec.format !== wantFormat) problems.push(`format '${spec.format}' is not available for ${spec.arch} (use '${wantFormat}')`);
  if (spec.format !== 'efi' && (!addr(spec.loadAddress) || spec.loadAddress % 4096 !== 0))
    problems.push(`loadAddress ${spec.loadAddress} must be a 4 KiB-aligned address`);
  const con = CONSOLE_BACKENDS[spec.console?.type];
  if (!con) problems.push(`console type '${spec.console?.type}' is unknown (${Object.keys(CONSOLE_BACKENDS).join(', ')})`);
  else if (!con.arches.includes(spec.arch)) problems.push(`console '${spec.console.type}' is not supported on ${spec.arch} (supported on ${con.arches.join(', ')})`);
  if (spec.console && !addr(spec.console.base)) problems.push('console.base must be a non-negative integer');
  if (spec.console && (!u32(spec.console.baud) || spec.console.baud === 0)) problems.push('console.baud must be a positive integer');
  if (spec.console?.clockHz !== undefined && !u32(spec.console.clockHz)) problems.push('console.clockHz must be a 32-bit integer');
  if (spec.timerHz !== undefined && (!u32(spec.timerHz) || spec.timerHz < 1_000_000 || spec.timerHz % 1_000_000 !== 0))
    problems.push('timerHz must be a whole number of MHz');
  const exit = spec.exit ?? 'none';
  if (!EXITS[exit]) problems.push(`exit '${exit}' is unknown`);
  else if (!EXITS[exit].includes(spec.arch)) problems.push(`exit '${exit}' is not available on ${spec.arch}`);
  spec.drivers.forEach((d, i) => {
    const info = CONTROLLERS[d.controller];
    const where = `drivers[${i}] (${d.kind}/${d.controller})`;
    if (!info) {
      problems.push(`${where}: unknown controller '${d.controller}' (known: ${Object.keys(CONTROLLERS).join(', ')})`);
      return;
    }
    if (info.kind !== d.kind) problems.push(`${where}: controller '${d.controller}' is a ${info.kind} driver, not ${d.kind}`);
    if (!info.arches.includes(spec.arch))
      problems.push(`${where}: the payload has no ${d.controller} driver for ${spec.arch} (it has one for ${info.arches.join(', ')})`);
    if (!addr(d.base)) problems.push(`${where}: base must be a non-negative integer`);
    if (d.altBase !== undefined && !SD_ROUTE_ALTERNATIVE[d.controller]) problems.push(`${where}: altBase is only for SD controllers the GPIO route switches between`);
    for (const k of ['slots', 'stride', 'line', 'width', 'height', 'baud', 'altBase'] as const)
      if (d[k] !== undefined && !u32(d[k])) problems.push(`${where}: ${k} must be a 32-bit unsigned integer`);
    if (d.kind === 'uart' && d.controller !== spec.console?.type)
      problems.push(`${where}: only the console UART (${spec.console?.type}) can be reported`);
  });
  if (spec.testOnlyFakeOk && spec.testOnlySkipGpio) problems.push('testOnlyFakeOk and testOnlySkipGpio exclude each other');
  if (problems.length)
    throw new UsageError(`payload spec for '${spec.board}' is invalid: ${problems.join('; ')}`, {
      hint: 'fix the board profile driver set (or the spec) so every driver exists for the arch',
      details: { problems },
    });
}
