/**
 * Host side of the payload's GPIO oracles, and the test-only build gate. What the host does while
 * the payload runs (cause edges, stop the machine and read registers over the QEMU monitor) lives
 * here; the pure checks of what it saw are in src/payload/gpio-oracle.ts. Every oracle has a
 * secret fresh for each run: the nonce-derived register patterns, the number of edges, the SD
 * route.
 */
import { randomInt } from 'node:crypto';
import type { BoardProfile } from '../boards/schema.js';
import { BoardkitError, UsageError } from '../core/errors.js';
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
  if (words.length !== count)
    throw new BoardkitError('E_MONITOR_READ', 'infrastructure', `HMP xp at 0x${addr.toString(16)} gave ${words.length} word(s), expected ${count}: ${out.trim()}`, {
      hint: 'the QEMU monitor could not read that address (outside the machine map?)',
    });
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

/** Resolves after `ms`, or at once when `signal` aborts (the listener never outlives the wait). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
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
  const ev: Pl061Evidence & { triggeredAt: number; late?: string } = { nonce: new Uint8Array(16), line, edgesSent: 0, acks: 0, triggeredAt: -1 };
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
        // The payload stops counting after a quiet spell (boot/gpio/pl061.c BK_PL061_QUIET_MS):
        // if it already reported, this host was too slow, which is not the payload's fault.
        if (/BOARDKIT driver=gpio /.test(session.textBetween(ev.triggeredAt))) {
          ev.late = `the payload closed its count before the host sent edge ${n} of ${edges} (host too slow: more than 2.5 s between acknowledgement and edge)`;
          return;
        }
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
      try {
        return checkPl061Effect(consoleText, { ...ev, nonce });
      } catch (err) {
        // A register mismatch stands on its own; a short count after a late host proves nothing.
        if (ev.late && !/GPIODIR|GPIODATA|registers/.test(err instanceof Error ? err.message : '')) throw new Error(ev.late, { cause: err });
        throw err;
      }
    },
  };
}

/** SiFive GPIO registers (FU540-C000 Manual v1p0, Table 12.2). */
const SIFIVE = { outputEn: 0x08, outputVal: 0x0c, iofSel: 0x3c } as const;

/**
 * How long the payload holds its pattern before the reset pulse: the host must stop the machine
 * within it (guest time, which stands still while the machine is stopped).
 */
const HOLD_MS = 3_000;

function resetEvent(base: number, line: number): GpioOracleRun {
  const ev: SifiveResetEvidence & { late?: string } = { nonce: new Uint8Array(16), line, eventsAfter: [] };
  return {
    name: 'reset-event',
    config: { gpioWaitMs: HOLD_MS },
    async afterResult({ vm, session, signal, timeoutMs }) {
      const m = await session.cursor('start').expect(/BOARDKIT gpio=armed/, { signal, timeoutMs }).catch(() => undefined);
      if (!m) return;
      const armedAt = vm.events.length;
      await vm.qmp.execute('stop');
      const since = vm.events.length;
      if (vm.events.slice(armedAt, since).some((e) => e.event === 'RESET')) {
        ev.late = `the machine reset before the host could stop it to read the GPIO registers (host too slow: more than ${HOLD_MS} ms after gpio=armed)`;
        await vm.qmp.execute('cont');
        return;
      }
      try {
        const [outputEn] = await readPhys32(vm, base + SIFIVE.outputEn, 1);
        const [outputVal] = await readPhys32(vm, base + SIFIVE.outputVal, 1);
        const [iofSel] = await readPhys32(vm, base + SIFIVE.iofSel, 1);
        ev.registers = { outputEn: outputEn!, outputVal: outputVal!, iofSel: iofSel! };
      } finally {
        await vm.qmp.execute('cont');
      }
      // Either the reset comes, or the payload says gpio=no-effect 200 ms after a pulse that changed nothing.
      const done = new AbortController();
      const both = AbortSignal.any([signal, done.signal]);
      const within = Math.min(timeoutMs, (HOLD_MS + 5_000) * vm.timeoutMultiplier);
      await Promise.race([
        vm.waitForEvent('RESET', { since, signal: both, timeoutMs: within }),
        session.cursor(m.end).expect(/BOARDKIT gpio=no-effect/, { signal: both, timeoutMs: within }),
      ]).catch(() => undefined);
      done.abort();
      ev.eventsAfter = vm.events.slice(since).map((e) => ({ event: e.event, data: e.data }));
    },
    check(consoleText, nonce) {
      if (ev.late) throw new Error(ev.late);
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
