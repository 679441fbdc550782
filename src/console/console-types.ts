import type { Clock } from '../core/clock.js';
import type { CompiledPattern, PatternSource } from './bounded-pattern.js';
import type { ConsoleLogEntry } from './console-store.js';

/** The console engine's public value types (see ConsoleSession). */
export interface ConsoleListener {
  /** Every raw chunk and link event, as logged. */
  entry?(entry: ConsoleLogEntry): void;
  /** Normalised text as it arrives (t = clock ms, wall = epoch ms). */
  text?(text: string, t: number, wall: number): void;
}

export interface ConsoleSessionOptions {
  clock?: Clock;
  /** Epoch ms for log timestamps. Default Date.now. */
  wallClock?: () => number;
  /** Bytes/chars of history kept in memory (sinks keep everything). Default 64 MiB. */
  retainLimit?: number;
}

export interface ConsoleFailure {
  name: string;
  pattern: string;
  line: string;
  start: number;
  at: number;
}

export interface ExpectOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExpectMatch {
  /** Index of the pattern that matched. */
  index: number;
  pattern: string;
  text: string;
  groups: Array<string | undefined>;
  named: Record<string, string | undefined>;
  line: string;
  start: number;
  end: number;
  /** Clock ms when the matching text arrived. */
  at: number;
}

export interface NamedPattern {
  name: string;
  pattern: PatternSource;
}

export interface Disposable {
  dispose(): void;
}

export interface SendOptions {
  /** Pause between characters (ms): slow consoles and ser2net drop bytes otherwise. */
  charDelayMs?: number;
  signal?: AbortSignal;
}

/**
 * What a ConsoleCursor needs from the session it reads (ConsoleSession implements it), so the
 * cursor does not import the session that creates it.
 */
export interface CursorHost {
  /** Offset of the end of the console text so far. */
  readonly position: number;
  /** Searches from `from`, then waits for later text; calls onMatch before resolving. */
  startExpect(from: number, patterns: readonly CompiledPattern[], options: ExpectOptions, onMatch: (m: ExpectMatch) => void): Promise<ExpectMatch>;
}
