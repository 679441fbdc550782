/**
 * Host side of the payload's GPIO oracles, and the test-only build gate. What the host does while
 * the payload runs (cause edges, stop the machine and read registers over the QEMU monitor) lives
 * here; the pure checks of what it saw are in src/payload/gpio-oracle.ts. Every oracle has a
 * secret fresh for each run: the nonce-derived register patterns, the number of edges, the SD
 * route.
 */
import { randomInt } from 'node:crypto';
import type { BoardProfile } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
import type { ConsoleSession } from '../console/console-session.js';
import type { RunningQemu } from '../emulator/qemu-runner.js';
import type { PayloadConfigValues } from '../payload/config-block.js';
import {
  checkGpioEdgeAfterTrigger,
  checkPl061Effect,
  checkSdRouteEffect,
  checkSifiveResetEffect,
  parseXpWords,
  type Pl061Evidence,
  type SdRouteEvidence,
  type SifiveResetEvidence,
} from '../payload/gpio-oracle.js';
import { testOnlyBuildInImage } from '../payload/report.js';
import type { DriverSpec } from '../payload/spec.js';

/** Refuses a test-only payload (fake-ok, skip-gpio) unless the caller explicitly allows one. */
export function refuseTestOnlyPayload(image: Uint8Array, file: string, allow: boolean | undefined): void {
  const mark = testOnlyBuildInImage(image);
  if (mark && !allow)
    throw new UsageError(`${file} is a ${mark} build: its drivers do not do their work, so a run cannot prove anything with it`, {
      hint: 'rebuild it with `boardkit payload build` without --test-only-* switches',
    });
}

/** Reads `count` 32-bit words of guest-physical memory (MMIO included) with HMP `xp`. */
export async function readPhys32(vm: RunningQemu, addr: number, count: number): Promise<number[]> {
  const out = await vm.qmp.execute<string>('human-monitor-command', { 'command-line': `xp /${count}wx 0x${addr.toString(16)}` });
  const words = parseXpWords(out);
  if (words.length !== count) throw new Error(`HMP xp at 0x${addr.toString(16)} gave ${words.length} word(s), expected ${count}: ${out.trim()}`);
  return words;
}

interface HookContext {
  vm: RunningQemu;
  session: ConsoleSession;
  signal: AbortSignal;
  timeoutMs: number;
}

/**
 * One run's GPIO oracle: the config values it needs patched in, what the host does before and
 * after the payload's `result=` line, and the check of what it saw.
 */
export interface GpioOracleRun {
  readonly name: string;
  /** Config block values for this run (the secret the payload must act on, wait times). */
  readonly config: Pick<PayloadConfigValues, 'gpioWaitMs' | 'sdRoute'>;
  /** Host actions while the payload runs its drivers (before `result=`). */
  beforeResult?(ctx: HookContext): Promise<void>;
  /** Host actions after `result=` (the payload halts or pulses a reset line then). */
  afterResult?(ctx: HookContext): Promise<void>;
  /** Judges the evidence against the whole console text; throws with the reason, or says what was proven. */
  check(consoleText: string, nonce: Uint8Array): string;
}

export interface GpioOracleOptions {
  /** Tests: force the SD route instead of a random one. */
  sdRoute?: 'sdhost' | 'sdhci';
  /** Tests: force the number of edges instead of a random 1..5. */
  edges?: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Waits until the line holding the match that ends at `end` is complete (its newline arrived). */
async function lineComplete(session: ConsoleSession, end: number, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!session.textBetween(end).includes('\n') && Date.now() < deadline && !signal.aborted) await sleep(5, signal);
}

/** The GPIO oracle the board profile names for its GPIO controller (drivers.gpio params.oracle). */
export function gpioOracleRun(profile: BoardProfile, gpio: DriverSpec, options: GpioOracleOptions = {}): GpioOracleRun {
  const oracle = profile.drivers.gpio.controllers?.[0]?.params?.oracle;
  const line = gpio.line ?? 0;
  switch (oracle) {
    case 'powerdown-edge':
      return powerdownEdge(gpio.base, line, options.edges ?? randomInt(1, 6));
    case 'reset-event':
      return resetEvent(gpio.base, line);
    case 'sd-route':
      return sdRoute(gpio.base, options.sdRoute ?? (randomInt(2) ? 'sdhci' : 'sdhost'));
    default:
      return {
        name: 'none',
        config: {},
        check: () => {
          throw new Error(`board '${profile.id}' names no GPIO oracle (drivers.gpio params.oracle)`);
        },
      };
  }
}

function powerdownEdge(base: number, line: number, edges: number): GpioOracleRun {
  const ev: Pl061Evidence & { triggeredAt: number } = { nonce: new Uint8Array(16), line, edgesSent: 0, acks: 0, triggeredAt: -1 };
  return {
    name: 'powerdown-edge',
    config: { gpioWaitMs: 20_000 },
    async beforeResult({ vm, session, signal, timeoutMs }) {
      const cursor = session.cursor('start');
      const m = await cursor.expect([/BOARDKIT gpio=waiting/, /BOARDKIT result=/], { signal, timeoutMs }).catch(() => undefined);
      if (m?.index !== 0) return;
      await lineComplete(session, m.end, signal, 2_000 * vm.timeoutMultiplier);
      // The driver wrote its output pattern before it announced the wait (GPIODATA at 0x3FC reads every line).
      const [data] = await readPhys32(vm, base + 0x3fc, 1);
      const [dir] = await readPhys32(vm, base + 0x400, 1);
      ev.registers = { dir: dir!, data: data! };
      ev.triggeredAt = session.textBetween(0).length;
      for (let n = 1; n <= edges && !signal.aborted; n++) {
        await vm.powerdown();
        ev.edgesSent = n;
        const ack = await cursor.expect([new RegExp(`BOARDKIT gpio=edge n=${n}\\b`), /BOARDKIT result=/], { signal, timeoutMs: 10_000 * vm.timeoutMultiplier }).catch(() => undefined);
        if (ack?.index !== 0) return;
        ev.acks = n;
        // gpio-key holds the line high for 100 ms (hw/gpio/gpio_key.c): let it fall before the next rising edge.
        await sleep(250, signal);
      }
    },
    check(consoleText, nonce) {
      checkGpioEdgeAfterTrigger(consoleText, ev.triggeredAt);
      return checkPl061Effect(consoleText, { ...ev, nonce });
    },
  };
}

/** SiFive GPIO registers (FU540-C000 Manual v1p0, Table 12.2). */
const SIFIVE = { outputEn: 0x08, outputVal: 0x0c, iofSel: 0x3c } as const;

function resetEvent(base: number, line: number): GpioOracleRun {
  const ev: SifiveResetEvidence = { nonce: new Uint8Array(16), line, eventsAfter: [] };
  return {
    name: 'reset-event',
    // How long the payload holds its pattern before the pulse: the host must stop the machine
    // within it (guest time, which stands still while the machine is stopped).
    config: { gpioWaitMs: 3_000 },
    async afterResult({ vm, session, signal, timeoutMs }) {
      const m = await session.cursor('start').expect(/BOARDKIT gpio=armed/, { signal, timeoutMs }).catch(() => undefined);
      if (!m) return;
      await vm.qmp.execute('stop');
      const since = vm.events.length;
      try {
        const [outputEn] = await readPhys32(vm, base + SIFIVE.outputEn, 1);
        const [outputVal] = await readPhys32(vm, base + SIFIVE.outputVal, 1);
        const [iofSel] = await readPhys32(vm, base + SIFIVE.iofSel, 1);
        ev.registers = { outputEn: outputEn!, outputVal: outputVal!, iofSel: iofSel! };
      } finally {
        await vm.qmp.execute('cont');
      }
      await vm.waitForEvent('RESET', { since, signal, timeoutMs }).catch(() => undefined);
      ev.eventsAfter = vm.events.slice(since).map((e) => ({ event: e.event, data: e.data }));
      // The payload prints gpio=no-effect 200 ms after a pulse that changed nothing.
      if (!ev.eventsAfter.some((e) => e.event === 'RESET')) await session.cursor(m.end).expect(/BOARDKIT gpio=no-effect/, { signal, timeoutMs: 2_000 * vm.timeoutMultiplier }).catch(() => undefined);
    },
    check(consoleText, nonce) {
      return checkSifiveResetEffect(consoleText, { ...ev, nonce });
    },
  };
}

/** GPFSEL4 (pins 40-49) and GPFSEL5 (50-59): BCM2835 ARM Peripherals §6.1, offsets 0x10 and 0x14. */
const GPFSEL4 = 0x10;

function sdRoute(base: number, route: 'sdhost' | 'sdhci'): GpioOracleRun {
  const ev: SdRouteEvidence = { route };
  return {
    name: 'sd-route',
    config: { sdRoute: route },
    async afterResult({ vm }) {
      const [gpfsel4, gpfsel5] = await readPhys32(vm, base + GPFSEL4, 2);
      ev.registers = { gpfsel4: gpfsel4!, gpfsel5: gpfsel5! };
    },
    check(consoleText) {
      return checkSdRouteEffect(consoleText, ev);
    },
  };
}
