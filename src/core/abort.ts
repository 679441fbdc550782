import { BoardkitError } from './errors.js';

export class TimeoutError extends BoardkitError {
  constructor(message: string, options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('E_TIMEOUT', 'device', message, options);
  }
}

export class AbortedError extends BoardkitError {
  constructor(reason?: unknown) {
    super('E_ABORTED', 'usage', 'operation was cancelled', { cause: reason });
  }
}

/** Throws the signal's reason (as AbortedError unless it already is a BoardkitError). */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const r = signal.reason;
    throw r instanceof BoardkitError ? r : new AbortedError(r);
  }
}

/** Combines signals: aborts when any of them aborts. */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal {
  const real = signals.filter((s): s is AbortSignal => s !== undefined);
  return AbortSignal.any(real);
}
