/**
 * GPIO oracles: a GPIO line only proves itself through an effect the host causes or observes,
 * with a secret fresh for each run (pure checks here; the host actions are in
 * src/workflows/payload-oracles.ts).
 * - pl061 on virt (`powerdown-edge`): the payload writes a nonce-derived direction/data pattern
 *   into the other lines, which the host reads back over the monitor; the host then causes a
 *   random number of edges (QMP system_powerdown), one after each acknowledgement, and the
 *   payload must report that count.
 * - sifive-gpio on sifive_u (`reset-event`): the payload writes a nonce-derived pattern into
 *   output_val/iof_sel, the host reads it back while the machine is stopped before the pulse,
 *   and a QMP RESET event with reason `guest-reset` must follow. An SBI reboot leaves no pattern.
 * - bcm2835-gpio on raspi3b (`sd-route`): the host picks the SD route per run; GPFSEL4/GPFSEL5
 *   read back must select it for pins 48-53, and the storage driver must have read the card
 *   through that controller.
 */
import { PayloadReportError, driverReport, parseBootReport, type BootReport } from './report.js';

const WAITING = /BOARDKIT gpio=waiting line=(\d+)/;
const GPIO_OK = /BOARDKIT driver=gpio status=ok[^\n]*/;
const NO_EFFECT = /BOARDKIT gpio=no-effect/;

/** Index just after the `gpio=waiting` line, or -1: the moment the host may trigger the edge. */
export function gpioWaitingIndex(consoleText: string): number {
  const m = WAITING.exec(consoleText);
  return m ? m.index + m[0].length : -1;
}

/**
 * `consoleText` is the whole console; `triggeredAt` is its length when the host caused the edge.
 * Throws unless the payload waited first and reported the edge only after the trigger.
 */
export function checkGpioEdgeAfterTrigger(consoleText: string, triggeredAt: number): void {
  const report = parseBootReport(consoleText);
  const ok = GPIO_OK.exec(consoleText);
  if (!ok) throw new PayloadReportError('no gpio ok line in the report', report, 'the edge did not reach the payload (line number, or the machine has no PL061)');
  const waiting = gpioWaitingIndex(consoleText);
  if (waiting < 0 || waiting > triggeredAt)
    throw new PayloadReportError('the payload did not announce gpio=waiting before the host triggered the edge', report, 'the GPIO driver did not wait for an input edge');
  if (ok.index < triggeredAt)
    throw new PayloadReportError('the payload reported a GPIO edge before the host caused one', report, 'the driver claims an edge it cannot have seen');
}

/** The sifive_u reset oracle: a RESET event after the payload said it toggled the line. */
export function checkResetAfterGpio(consoleText: string, events: ReadonlyArray<{ event: string }>): void {
  const report = parseBootReport(consoleText);
  if (!GPIO_OK.test(consoleText)) throw new PayloadReportError('no gpio ok line in the report', report, 'the payload did not reach its GPIO driver');
  if (!events.some((e) => e.event === 'RESET'))
    throw new PayloadReportError('no QMP RESET event after the payload toggled the reset GPIO', report, 'the GPIO write did not reach the pin wired to reset');
}

// ---- the per-run secret ------------------------------------------------------------------------

/** Byte `i` of the GPIO secret (mirrors boot/common/main.c bk_gpio_secret_byte). */
export function gpioSecretByte(nonce: Uint8Array, i: number): number {
  if (nonce.length !== 16) throw new RangeError('the nonce is 16 bytes');
  return nonce[15 - (i % 16)]!;
}

/** What boot/gpio/pl061.c writes: GPIODIR (the watched line stays an input) and GPIODATA. */
export function pl061Pattern(nonce: Uint8Array, line: number): { dir: number; data: number } {
  const bit = 1 << line;
  let dir = gpioSecretByte(nonce, 0) & ~bit & 0xff;
  if (!dir) dir = ~bit & 0xff;
  return { dir, data: gpioSecretByte(nonce, 1) & dir };
}

/** What boot/gpio/sifive-gpio.c writes: output_val (the reset line high) and iof_sel. */
export function sifiveGpioPattern(nonce: Uint8Array, line: number): { outputVal: number; iofSel: number } {
  const bit = 1 << line;
  return {
    outputVal: (gpioSecretByte(nonce, 0) | (gpioSecretByte(nonce, 1) << 8) | bit) & 0xffff,
    iofSel: (gpioSecretByte(nonce, 2) | (gpioSecretByte(nonce, 3) << 8)) & 0xffff & ~bit,
  };
}

/**
 * Parses the words of an HMP `xp /Nwx ADDR` answer (`000000003f200010: 0x00000000 0x24000000`,
 * one line per 16 bytes) in address order.
 */
export function parseXpWords(text: string): number[] {
  const words: number[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    for (const tok of line.slice(colon + 1).trim().split(/\s+/)) if (/^0x[0-9a-f]+$/i.test(tok)) words.push(parseInt(tok, 16) >>> 0);
  }
  return words;
}

const hex = (n: number, digits = 2): string => `0x${(n >>> 0).toString(16).padStart(digits, '0')}`;

function gpioLine(report: BootReport) {
  const d = driverReport(report, 'gpio');
  if (!d) throw new PayloadReportError('no gpio driver line in the report', report, 'the payload did not reach its GPIO driver');
  if (d.status !== 'ok') throw new PayloadReportError(`the gpio driver failed: ${d.detail}`, report, 'see the detail field');
  return d;
}

export interface Pl061Evidence {
  nonce: Uint8Array;
  line: number;
  /** GPIODIR and GPIODATA (offset 0x3FC) as the host read them while the payload waited. */
  registers?: { dir: number; data: number };
  /** Edges the host caused, each after the payload acknowledged the previous one. */
  edgesSent: number;
  /** Acknowledgements (`gpio=edge n=K`) the payload printed. */
  acks: number;
}

/** The PL061 oracle: this run's output pattern in the registers AND the secret edge count reported. */
export function checkPl061Effect(consoleText: string, ev: Pl061Evidence): string {
  const report = parseBootReport(consoleText);
  const want = pl061Pattern(ev.nonce, ev.line);
  if (!ev.registers) throw new PayloadReportError('the host could not read the PL061 registers (the payload never announced gpio=waiting)', report, 'the GPIO driver did not run');
  const { dir, data } = ev.registers;
  if ((dir & 0xff) !== want.dir)
    throw new PayloadReportError(`GPIODIR reads ${hex(dir & 0xff)}, this run's pattern is ${hex(want.dir)}`, report, 'the payload did not write the PL061 direction register');
  if ((data & want.dir) !== want.data)
    throw new PayloadReportError(`GPIODATA output lines read ${hex(data & want.dir)}, this run's pattern is ${hex(want.data)}`, report, 'the payload did not write the PL061 data register');
  const d = gpioLine(report);
  const edges = Number(d.fields.edges ?? NaN);
  if (ev.acks !== ev.edgesSent)
    throw new PayloadReportError(`the payload acknowledged ${ev.acks} of the ${ev.edgesSent} edge(s) the host caused`, report, 'the driver does not see the edges on its line');
  if (edges !== ev.edgesSent)
    throw new PayloadReportError(`the payload reported edges=${d.fields.edges ?? 'none'}, the host caused ${ev.edgesSent}`, report, 'the driver did not count the edges on its line');
  return `GPIODIR/GPIODATA hold this run's pattern ${hex(want.dir)}/${hex(want.data)}; the payload counted the ${ev.edgesSent} edge(s) the host caused`;
}

export interface SifiveResetEvidence {
  nonce: Uint8Array;
  line: number;
  /** output_en, output_val and iof_sel as the host read them, machine stopped, before the pulse. */
  registers?: { outputEn: number; outputVal: number; iofSel: number };
  /** QMP events from the moment the host resumed the machine after reading. */
  eventsAfter: ReadonlyArray<{ event: string; data?: Record<string, unknown> }>;
}

/** The sifive_u oracle: this run's pattern before the pulse, then a guest-caused RESET, and no no-effect. */
export function checkSifiveResetEffect(consoleText: string, ev: SifiveResetEvidence): string {
  const report = parseBootReport(consoleText);
  gpioLine(report);
  if (NO_EFFECT.test(consoleText)) throw new PayloadReportError('the payload says gpio=no-effect: the reset line pulse changed nothing', report, 'the line is not wired to reset on this machine');
  if (!ev.registers) throw new PayloadReportError('the host could not read the GPIO registers (the payload never announced gpio=armed)', report, 'the GPIO driver did not arm its reset pulse');
  const want = sifiveGpioPattern(ev.nonce, ev.line);
  const bit = 1 << ev.line;
  const r = ev.registers;
  if ((r.outputVal & 0xffff) !== want.outputVal || (r.iofSel & 0xffff) !== want.iofSel)
    throw new PayloadReportError(
      `output_val/iof_sel read ${hex(r.outputVal & 0xffff, 4)}/${hex(r.iofSel & 0xffff, 4)}, this run's pattern is ${hex(want.outputVal, 4)}/${hex(want.iofSel, 4)}`,
      report,
      'the payload did not write the GPIO controller',
    );
  if (!(r.outputEn & bit)) throw new PayloadReportError(`output_en ${hex(r.outputEn, 4)} does not drive line ${ev.line}`, report, 'the reset line is not an output');
  const reset = ev.eventsAfter.find((e) => e.event === 'RESET');
  if (!reset) throw new PayloadReportError('no QMP RESET event after the payload armed the reset GPIO', report, 'the GPIO write did not reach the pin wired to reset');
  const reason = reset.data?.reason;
  if (reason !== undefined && reason !== 'guest-reset')
    throw new PayloadReportError(`the RESET event's reason is ${String(reason)}, a GPIO reset gives guest-reset`, report, 'something else reset the machine');
  return `output_val/iof_sel held this run's pattern ${hex(want.outputVal, 4)}/${hex(want.iofSel, 4)} with line ${ev.line} driven high; QMP RESET (${String(reason ?? 'no reason')}) followed`;
}

/** BCM2835 function select values (BCM2835 ARM Peripherals §6.1, Table 6-2..6-7). */
export const SD_ROUTE_FSEL = { sdhost: 4 /* ALT0 */, sdhci: 7 /* ALT3 */ } as const;

export interface SdRouteEvidence {
  route: 'sdhost' | 'sdhci';
  /** GPFSEL4 and GPFSEL5 (pins 40-49, 50-59), read by the host after the report. */
  registers?: { gpfsel4: number; gpfsel5: number };
}

/** The function select of `pin` (40..59) from GPFSEL4/GPFSEL5 (3 bits per pin). */
export function fselOf(regs: { gpfsel4: number; gpfsel5: number }, pin: number): number {
  const reg = pin < 50 ? regs.gpfsel4 : regs.gpfsel5;
  return (reg >>> ((pin % 10) * 3)) & 7;
}

/** The rpi3b oracle: pins 48-53 select this run's route, and the card was read through it. */
export function checkSdRouteEffect(consoleText: string, ev: SdRouteEvidence): string {
  const report = parseBootReport(consoleText);
  const g = gpioLine(report);
  if (!ev.registers) throw new PayloadReportError('the host could not read GPFSEL4/GPFSEL5', report, 'the machine stopped before the host read the function selects');
  const want = SD_ROUTE_FSEL[ev.route];
  const wrong = [48, 49, 50, 51, 52, 53].filter((p) => fselOf(ev.registers!, p) !== want);
  if (wrong.length)
    throw new PayloadReportError(
      `GPIO ${wrong.join(',')} select function ${wrong.map((p) => fselOf(ev.registers!, p)).join(',')}, this run's route ${ev.route} needs ${want}`,
      report,
      'the payload did not write the GPIO function selects',
    );
  if (g.fields.route !== ev.route) throw new PayloadReportError(`the gpio driver says route=${g.fields.route ?? 'none'}, this run asked for ${ev.route}`, report, 'the payload ignored the config block sd_route');
  const s = driverReport(report, 'storage');
  if (s?.fields.via !== ev.route)
    throw new PayloadReportError(`the storage driver read the card via=${s?.fields.via ?? 'none'}, this run's route is ${ev.route}`, report, 'the card was not read through the routed controller');
  return `GPFSEL4/GPFSEL5 select function ${want} on GPIO 48-53 (route ${ev.route}, chosen for this run) and the card was read via ${ev.route}`;
}
