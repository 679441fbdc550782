/**
 * Power control of lab boards. Every driver runs argv lists through the injected Spawner (never a
 * shell string), so a run file cannot smuggle a command: power commands come only from the lab
 * inventory. A failing power command is an infrastructure error (exit 4), distinct from a board
 * that does not boot (exit 1).
 *
 * - `qemu`: the QEMU process lifecycle; the emulated boot itself powers the board on and off.
 * - `command`: on/off/cycle argv lists.
 * - `gpio-relay`: libgpiod's `gpioset CHIP LINE=VALUE` (v1 syntax; a relay wired active-low inverts).
 * - `uhubctl`: `uhubctl -l HUB -p PORT -a on|off|cycle`.
 * - `manual`: asks the person at the desk and waits for them to confirm.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BoardkitError } from '../core/errors.js';
import type { Spawner } from '../transports/spawner.js';
import type { PowerSpec } from './lab.js';

export type PowerAction = 'on' | 'off' | 'cycle';

export interface PowerController {
  readonly driver: PowerSpec['driver'];
  /** Whether the emulated boot handles power itself (nothing to do before it). */
  readonly lifecycle: boolean;
  apply(action: PowerAction, signal?: AbortSignal): Promise<{ commands: string[] }>;
}

/** A power command failed or could not run: the lab's fault, not the board's. */
export class PowerError extends BoardkitError {
  constructor(message: string, options: { cause?: unknown; hint?: string; details?: Record<string, unknown> } = {}) {
    super('E_POWER', 'infrastructure', message, options);
  }
}

export interface PowerEnvironment {
  spawner: Spawner;
  /** Asks the person at the desk (manual power); resolves when they confirm. */
  ask?: (question: string, signal?: AbortSignal) => Promise<void>;
}

const COMMAND_TIMEOUT_MS = 30_000;

async function runArgv(env: PowerEnvironment, board: string, argv: readonly string[], signal?: AbortSignal): Promise<string> {
  const [tool, ...args] = argv;
  const shown = argv.join(' ');
  const r = await env.spawner.run(tool!, args, { timeoutMs: COMMAND_TIMEOUT_MS, ...(signal ? { signal } : {}) }).catch((cause: unknown) => {
    throw new PowerError(`power command for ${board} could not run: ${shown}`, { cause, hint: 'check the lab inventory: the tool must be installed and on PATH' });
  });
  if (r.timedOut) throw new PowerError(`power command for ${board} did not finish in ${COMMAND_TIMEOUT_MS / 1000} s: ${shown}`);
  if (r.exitCode !== 0) {
    throw new PowerError(`power command for ${board} failed (exit ${r.exitCode ?? r.signal}): ${shown}`, {
      hint: 'check the power device and the lab inventory entry',
      details: { stderr: r.stderr.toString('utf8').slice(-2000) },
    });
  }
  return shown;
}

/** The argv lists a spec runs for an action (pure: what `apply` will do, for plans and tests). */
export function powerCommands(spec: PowerSpec, action: PowerAction): Array<readonly string[] | { sleepMs: number }> {
  switch (spec.driver) {
    case 'qemu':
    case 'manual':
      return [];
    case 'command':
      if (action === 'cycle') return spec.cycle ? [spec.cycle] : [spec.off, { sleepMs: spec['off-ms'] }, spec.on];
      return [action === 'on' ? spec.on : spec.off];
    case 'gpio-relay': {
      const level = (on: boolean) => String(Number(on !== spec['active-low']));
      const set = (on: boolean) => ['gpioset', spec.chip, `${spec.line}=${level(on)}`] as const;
      if (action === 'cycle') return [set(false), { sleepMs: spec['off-ms'] }, set(true)];
      return [set(action === 'on')];
    }
    case 'uhubctl': {
      const act = (a: string) => ['uhubctl', '-l', spec.hub, '-p', String(spec.port), '-a', a] as const;
      if (action === 'cycle') return [act('off'), { sleepMs: spec['off-ms'] }, act('on')];
      return [act(action)];
    }
  }
}

export function powerController(board: string, spec: PowerSpec, env: PowerEnvironment): PowerController {
  return {
    driver: spec.driver,
    lifecycle: spec.driver === 'qemu',
    async apply(action, signal) {
      if (spec.driver === 'manual') {
        if (!env.ask) throw new PowerError(`${board} is powered by hand, and nobody can be asked here`, { hint: 'run at a terminal, or give the board a power driver in the lab inventory' });
        await env.ask(`Power ${action} ${board}, then press Enter`, signal);
        return { commands: [`manual: ${action}`] };
      }
      const commands: string[] = [];
      for (const step of powerCommands(spec, action)) {
        if ('sleepMs' in step) await sleep(step.sleepMs, undefined, signal ? { signal } : {});
        else commands.push(await runArgv(env, board, step, signal));
      }
      return { commands };
    },
  };
}
