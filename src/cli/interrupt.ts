import { BoardkitError } from '../core/errors.js';

/**
 * SIGINT and SIGTERM during a command. The first signal aborts the command's AbortSignal: the
 * library stops what it started (QEMU by PID, servers, temp dirs) in its own `finally` blocks and
 * the command ends with exit 130 and a one-line summary. A second signal exits at once.
 * One instance per CLI invocation, installed by main() around the command (the composition root
 * is the only place that owns process signals).
 */
export class InterruptedError extends BoardkitError {
  constructor(readonly signalName: NodeJS.Signals) {
    super('E_INTERRUPTED', 'usage', `interrupted by ${signalName}`);
  }
}

export interface Interrupts {
  readonly signal: AbortSignal;
  /** The signal that arrived, if any. */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

let current: Interrupts | undefined;

/** The running command's interrupt signal (a never-aborted one outside main(), e.g. in tests). */
export function commandSignal(): AbortSignal {
  return current?.signal ?? new AbortController().signal;
}

export function installInterrupts(onSecond: (signal: NodeJS.Signals) => void): Interrupts {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (received) return onSecond(sig);
    received = sig;
    controller.abort(new InterruptedError(sig));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, handler);
  const it: Interrupts = {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const s of signals) process.off(s, handler);
      if (current === it) current = undefined;
    },
  };
  current = it;
  return it;
}

/**
 * For commands whose normal end IS a signal (a server, a console, a monitor): they stop on
 * SIGINT/SIGTERM with their own summary and exit code, so the interrupt handling steps aside.
 */
export function signalsEndThisCommand(): void {
  current?.dispose();
}
