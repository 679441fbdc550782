import { TimeoutError } from '../core/abort.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import type { SerialLink, SerialLinkEvent } from '../transports/serial-link.js';
import { compilePattern, type CompiledPattern, type PatternSource } from './bounded-pattern.js';
import { abortReason, ConsoleCursor, throwIfAbortedSignal } from './console-cursor.js';
import { ExpectTimeoutError, FailurePatternError, LinkLostError } from './console-errors.js';
import { ConsoleStore, type ConsoleEvent, type ConsoleLogEntry } from './console-store.js';
import type {
  ConsoleFailure,
  ConsoleListener,
  ConsoleSessionOptions,
  CursorHost,
  Disposable,
  ExpectMatch,
  ExpectOptions,
  NamedPattern,
  SendOptions,
} from './console-types.js';
import { PatternScanner, type ScanHit } from './pattern-scanner.js';
import { TextNormalizer } from './text-normalizer.js';

/**
 * The console engine: one reader per link from the moment it is attached, an append-only
 * timestamped log, expect with bounded patterns and per-consumer cursors, and failure patterns
 * (death strings) checked on every arrival, whether or not anyone is waiting.
 *
 * Ordering: for each arrival, failure patterns are searched first; watchers and pending expects
 * then only accept matches that start before the earliest failure, so "marker, then panic" resolves
 * the marker and fails what comes after, while "panic, then marker" fails.
 */
export type { ConsoleFailure, ConsoleListener, ConsoleSessionOptions, Disposable, ExpectMatch, ExpectOptions, NamedPattern, SendOptions } from './console-types.js';
export { ConsoleCursor } from './console-cursor.js';

interface Watcher {
  scanner: PatternScanner;
  names: string[];
  failing: boolean;
  onHit: (hit: ScanHit, name: string) => void;
}

interface Pending {
  scanner: PatternScanner;
  resolve: (m: ExpectMatch) => void;
  reject: (e: unknown) => void;
}

export class ConsoleSession implements CursorHost {
  readonly description: string;
  readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly store: ConsoleStore;
  private readonly normalizer = new TextNormalizer();
  private readonly watchers = new Set<Watcher>();
  private readonly pending = new Set<Pending>();
  private readonly listeners = new Set<ConsoleListener>();
  private currentFailure: ConsoleFailure | undefined;
  private closedError: LinkLostError | undefined;
  private lastArrival: number;
  private readonly defaultCursor: ConsoleCursor;

  private constructor(
    private readonly link: SerialLink,
    options: ConsoleSessionOptions,
  ) {
    this.description = link.description;
    this.clock = options.clock ?? systemClock;
    this.wallClock = options.wallClock ?? Date.now;
    this.store = new ConsoleStore(options.retainLimit);
    this.lastArrival = this.clock.now();
    this.defaultCursor = new ConsoleCursor(this, 0);
  }

  /** Takes the link's reader; anything the link buffered since it opened is processed now. */
  static attach(link: SerialLink, options: ConsoleSessionOptions = {}): ConsoleSession {
    const session = new ConsoleSession(link, options);
    link.setReader({ data: (c) => session.onData(c), event: (e) => session.onLinkEvent(e) });
    return session;
  }

  get failure(): ConsoleFailure | undefined {
    return this.currentFailure;
  }

  get linkState(): SerialLink['state'] {
    return this.link.state;
  }

  /** Offset of the end of the console text so far. */
  get position(): number {
    return this.store.end;
  }

  /** A new consumer with its own position: 'start' of the log (default) or its current 'end'. */
  cursor(from: 'start' | 'end' | number = 'start'): ConsoleCursor {
    return new ConsoleCursor(this, from === 'start' ? 0 : from === 'end' ? this.store.end : from);
  }

  /** Expect on the session's own cursor (which starts at the beginning of the log). */
  expect(patterns: PatternSource | readonly PatternSource[], options?: ExpectOptions): Promise<ExpectMatch> {
    return this.defaultCursor.expect(patterns, options);
  }

  tail(lines = 30): string[] {
    return this.store.tail(lines);
  }

  textBetween(from: number, to?: number): string {
    return this.store.slice(from, to);
  }

  timeAt(offset: number): number | undefined {
    return this.store.timeAt(offset);
  }

  log(): readonly ConsoleLogEntry[] {
    return this.store.log();
  }

  subscribe(listener: ConsoleListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /**
   * Death strings: checked on every arrival from `from` (default: the start of the log). The first
   * hit becomes the session's sticky `failure`; pending and later expects reject with
   * FailurePatternError until `clearFailure()`.
   */
  failOn(patterns: readonly NamedPattern[], options: { from?: number; onFailure?: (f: ConsoleFailure) => void } = {}): Disposable {
    return this.addWatcher(patterns, true, options.from ?? 0, (hit, name) => {
      const failure: ConsoleFailure = { name, pattern: patterns[hit.index]!.pattern.toString(), line: hit.line, start: hit.start, at: this.store.timeAt(hit.start) ?? this.clock.now() };
      this.setFailure(failure);
      options.onFailure?.(failure);
    });
  }

  /** Calls onHit for every match of any pattern from `from` on (not failing anything). */
  watch(patterns: readonly NamedPattern[], onHit: (hit: ScanHit, name: string) => void, options: { from?: number } = {}): Disposable {
    return this.addWatcher(patterns, false, options.from ?? 0, onHit);
  }

  clearFailure(): void {
    this.currentFailure = undefined;
  }

  async send(data: string | Uint8Array, options: SendOptions = {}): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (options.charDelayMs && options.charDelayMs > 0) {
      for (let i = 0; i < bytes.length; i++) {
        throwIfAbortedSignal(options.signal);
        await this.link.write(bytes.subarray(i, i + 1));
        if (i < bytes.length - 1) await this.sleep(options.charDelayMs, options.signal);
      }
    } else {
      await this.link.write(bytes);
    }
    this.record({ type: 'sent', bytes: bytes.length });
  }

  /** Sends text plus a line ending (CR by default: what a terminal's Enter key sends). */
  sendLine(line: string, options: SendOptions & { eol?: '\r' | '\n' | '\r\n' } = {}): Promise<void> {
    return this.send(line + (options.eol ?? '\r'), options);
  }

  /** Resolves once nothing has arrived for `quietMs`; TimeoutError if that does not happen within `timeoutMs`. */
  settle(options: { quietMs: number; timeoutMs?: number; signal?: AbortSignal }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let quietTimer: TimerHandle | undefined;
      let timeoutTimer: TimerHandle | undefined;
      const done = (err?: unknown): void => {
        quietTimer?.cancel();
        timeoutTimer?.cancel();
        options.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        const quietFor = this.clock.now() - this.lastArrival;
        if (quietFor >= options.quietMs) done();
        else quietTimer = this.clock.setTimeout(check, options.quietMs - quietFor);
      };
      const onAbort = (): void => done(abortReason(options.signal));
      if (options.signal?.aborted) return done(abortReason(options.signal));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timeoutTimer = this.clock.setTimeout(
          () => done(new TimeoutError(`console ${this.description} did not go quiet for ${options.quietMs} ms within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
      }
      check();
    });
  }

  /** Closes the link (releasing its port). Pending expects reject with LinkLostError. */
  async close(): Promise<void> {
    await this.link.close();
  }

  // --- internals shared with ConsoleCursor ---

  /** @internal */
  startExpect(from: number, patterns: readonly CompiledPattern[], options: ExpectOptions, onMatch: (m: ExpectMatch) => void): Promise<ExpectMatch> {
    return new Promise<ExpectMatch>((resolve, reject) => {
      const scanner = new PatternScanner(patterns, from, this.lineHead(from));
      let matched: ExpectMatch | undefined;
      const limit = this.currentFailure?.start ?? Infinity;
      this.store.forEachFrom(from, (text, at) => {
        if (!matched) scanner.scan(text, at, (hit) => ((matched = this.toMatch(hit, patterns)), false), limit);
      });
      if (matched) {
        onMatch(matched);
        return resolve(matched);
      }
      if (this.currentFailure) return reject(this.failureError(this.currentFailure));
      if (this.closedError) return reject(this.closedError);
      throwIfAbortedSignal(options.signal);

      let timer: TimerHandle | undefined;
      const entry: Pending = {
        scanner,
        resolve: (m) => {
          cleanup();
          onMatch(m);
          resolve(m);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = (): void => entry.reject(abortReason(options.signal));
      const cleanup = (): void => {
        this.pending.delete(entry);
        timer?.cancel();
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.add(entry);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = this.clock.setTimeout(() => {
          const tail = this.store.tail(30);
          entry.reject(
            new ExpectTimeoutError(`none of ${patterns.map((p) => `/${p.source}/`).join(', ')} appeared on ${this.description} within ${ms} ms`, {
              hint: 'the last console lines are in details.tail',
              details: { patterns: patterns.map((p) => p.source), timeoutMs: ms, tail },
            }),
          );
        }, ms);
      }
    });
  }

  private lineHead(from: number): string {
    return this.store.slice(this.store.lineStart(from), from);
  }

  private toMatch(hit: ScanHit, patterns: readonly CompiledPattern[]): ExpectMatch {
    return {
      index: hit.index,
      pattern: patterns[hit.index]!.source,
      text: hit.text,
      groups: hit.groups,
      named: hit.named,
      line: hit.line,
      start: hit.start,
      end: hit.end,
      at: this.store.timeAt(hit.start) ?? this.clock.now(),
    };
  }

  private addWatcher(patterns: readonly NamedPattern[], failing: boolean, from: number, onHit: (hit: ScanHit, name: string) => void): Disposable {
    const compiled = patterns.map((p) => compilePattern(p.pattern));
    const watcher: Watcher = { scanner: new PatternScanner(compiled, from, this.lineHead(from)), names: patterns.map((p) => p.name), failing, onHit };
    this.watchers.add(watcher);
    // Catch up on what arrived before the watcher existed.
    this.store.forEachFrom(from, (text, at) => this.runWatcher(watcher, text, at, failing ? Infinity : (this.currentFailure?.start ?? Infinity)));
    return { dispose: () => void this.watchers.delete(watcher) };
  }

  private runWatcher(w: Watcher, text: string, at: number, limit: number): void {
    w.scanner.scan(
      text,
      at,
      (hit) => {
        w.onHit(hit, w.names[hit.index]!);
        return !w.failing;
      },
      limit,
    );
  }

  private setFailure(failure: ConsoleFailure): void {
    if (this.currentFailure && this.currentFailure.start <= failure.start) return;
    this.currentFailure = failure;
    const err = this.failureError(failure);
    for (const p of [...this.pending]) {
      // Anything that matched before the failure has been resolved already by the ordering in onText.
      p.reject(err);
    }
  }

  private failureError(f: ConsoleFailure): FailurePatternError {
    return new FailurePatternError(f.name, f.line, { details: { failure: f, tail: this.store.tail(30) } });
  }

  private onData(chunk: Uint8Array): void {
    const t = this.clock.now();
    const wall = this.wallClock();
    this.lastArrival = t;
    this.emitEntry({ kind: 'data', t, wall, bytes: chunk });
    this.onText(this.normalizer.push(chunk), t, wall);
  }

  private onText(text: string, t: number, wall: number): void {
    if (!text) return;
    const at = this.store.addText(text, t);
    let failAt = this.currentFailure?.start ?? Infinity;
    let earliest: { w: Watcher; hit: ScanHit } | undefined;
    for (const w of this.watchers) {
      if (!w.failing) continue;
      w.scanner.scan(text, at, (hit) => {
        if (!earliest || hit.start < earliest.hit.start) earliest = { w, hit };
        return false;
      });
    }
    if (earliest) failAt = Math.min(failAt, earliest.hit.start);
    for (const w of this.watchers) if (!w.failing) this.runWatcher(w, text, at, failAt);
    for (const p of [...this.pending]) {
      let matched: ExpectMatch | undefined;
      p.scanner.scan(text, at, (hit) => ((matched = this.toMatch(hit, p.scanner.patterns)), false), failAt);
      if (matched) p.resolve(matched);
    }
    if (earliest) earliest.w.onHit(earliest.hit, earliest.w.names[earliest.hit.index]!);
    for (const l of this.listeners) l.text?.(text, t, wall);
  }

  private onLinkEvent(e: SerialLinkEvent): void {
    const t = this.clock.now();
    const wall = this.wallClock();
    if (e.type === 'lost' || e.type === 'closed') {
      // Finish the current line so text from before the gap never joins text after it.
      let rest = this.normalizer.flush();
      const endsLine = rest ? rest.endsWith('\n') : this.store.end === 0 || this.store.slice(this.store.end - 1) === '\n';
      if (!endsLine) rest += '\n';
      this.onText(rest, t, wall);
    }
    if (e.type === 'closed') {
      this.record({ type: 'closed', ...(e.error ? { error: e.error.message } : {}) });
      this.closedError = new LinkLostError(e.error ? `console ${this.description} was lost: ${e.error.message}` : `console ${this.description} was closed`, {
        cause: e.error,
        details: { tail: this.store.tail(30) },
      });
      for (const p of [...this.pending]) p.reject(this.closedError);
    } else {
      this.record(e);
    }
  }

  private record(event: ConsoleEvent): void {
    this.emitEntry({ kind: 'event', t: this.clock.now(), wall: this.wallClock(), event });
  }

  private emitEntry(entry: ConsoleLogEntry): void {
    this.store.addEntry(entry);
    for (const l of this.listeners) l.entry?.(entry);
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        timer.cancel();
        reject(abortReason(signal));
      };
      const timer = this.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

