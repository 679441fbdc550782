import type { Clock, TimerHandle } from '../core/clock.js';
import { SerialLinkReaderSlot, type ReconnectOptions, type SerialLinkReader, type SerialLinkState } from './serial-link.js';

export interface ReconnectLoopOptions {
  clock: Clock;
  reconnect?: ReconnectOptions;
  /**
   * One reopen attempt. Resolves with the path to report in `reopened` once the device is open
   * again (after calling `opened()`), or with undefined when there is nothing to report: the link
   * is closing, or the fresh device was lost again before the attempt returned (that loss already
   * started its own poll). Rejects while the device is not back; polling then goes on.
   */
  attemptOpen: () => Promise<string | undefined>;
  /** The error the link closes with when the device stays away for `giveUpMs`; `gapMs` is rounded. */
  giveUpError: (gapMs: number) => Error;
  /**
   * When the give-up gap is read. A local device open returns at once, so the serial port reads it
   * before the attempt; a TCP connect can take up to its own timeout, which then counts as well.
   */
  measureGap: 'before-attempt' | 'after-attempt';
}

/**
 * The lifecycle a reconnecting SerialLink shares across devices: `lost` → poll every `pollMs` →
 * `reopened` with the gap, or `closed` with an error after `giveUpMs`; `closed` exactly once.
 * It owns the state, the poll timer and the reader slot; the link owns the device and calls
 * `opened()` / `lost()` / `beginClose()` + `finish()` as the device comes and goes.
 */
export class ReconnectLoop {
  readonly slot = new SerialLinkReaderSlot();
  private currentState: SerialLinkState = 'reconnecting';
  private lostAt = 0;
  private pollTimer: TimerHandle | undefined;
  private isClosing = false;

  constructor(private readonly options: ReconnectLoopOptions) {}

  get state(): SerialLinkState {
    return this.currentState;
  }

  /** True once `close()` started; a device that opens now must be closed again at once. */
  get closing(): boolean {
    return this.isClosing;
  }

  setReader(reader: SerialLinkReader): void {
    this.slot.set(reader);
  }

  /** The device is open (first open or a reopen). */
  opened(): void {
    this.currentState = 'open';
  }

  /** The device went away without `close()`: reconnect, or close with `lostError()` when disabled. */
  lost(reason: string, lostError: () => Error): void {
    if (this.isClosing) return;
    if (!(this.options.reconnect?.enabled ?? true)) {
      this.finish(lostError());
      return;
    }
    this.currentState = 'reconnecting';
    this.lostAt = this.options.clock.now();
    this.slot.event({ type: 'lost', reason });
    this.schedulePoll();
  }

  /** Stops polling. Returns false when close already ran (close is idempotent). */
  beginClose(): boolean {
    if (this.isClosing) return false;
    this.isClosing = true;
    this.pollTimer?.cancel();
    return true;
  }

  /** The final `closed` event, delivered once whichever path gets here first. */
  finish(error?: Error): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.pollTimer?.cancel();
    this.slot.event(error ? { type: 'closed', error } : { type: 'closed' });
  }

  private schedulePoll(): void {
    this.pollTimer = this.options.clock.setTimeout(() => void this.poll(), this.options.reconnect?.pollMs ?? 100);
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (this.isClosing) return;
    const { clock } = this.options;
    const gapBefore = this.options.measureGap === 'before-attempt' ? clock.now() - this.lostAt : undefined;
    try {
      const path = await this.options.attemptOpen();
      if (path !== undefined) this.slot.event({ type: 'reopened', path, gapMs: Math.round(clock.now() - this.lostAt) });
      return;
    } catch {
      /* not back yet (ENOENT, refused, still busy): keep polling */
    }
    if (this.isClosing) return;
    const gap = gapBefore ?? clock.now() - this.lostAt;
    if (gap >= (this.options.reconnect?.giveUpMs ?? 60_000)) {
      this.finish(this.options.giveUpError(Math.round(gap)));
      return;
    }
    this.schedulePoll();
  }
}
