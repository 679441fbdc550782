/**
 * An in-memory pair of FrameLinks (a virtual cable) with seeded, reproducible fault injection:
 * loss, duplication and reordering per direction. Delivery is asynchronous (a microtask), as on a
 * real link, so a handler never runs inside the sender's `send`.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { FrameLink } from '../frame-link.js';
import { seededRandom } from './seeded-random.js';

// Tests and fakes import the PRNG from here; it lives in seeded-random.ts so every fake shares one.
export { seededRandom };

export interface FrameFaults {
  /** Probability a frame is dropped. */
  loss?: number;
  /** Probability a frame is delivered twice. */
  duplicate?: number;
  /** Probability a frame is held back and delivered after the next one (or after `holdMs`). */
  reorder?: number;
  /** How long a reordered frame waits for a successor before it is delivered anyway. Default 5 ms. */
  holdMs?: number;
}

export interface FakeFrameLinkOptions {
  /** PRNG seed: the same seed gives the same fault pattern. Default 1. */
  seed?: number;
  /** Faults on frames sent by side A (towards B) and by side B (towards A). */
  aToB?: FrameFaults;
  bToA?: FrameFaults;
  clock?: Clock;
}

export interface FrameLinkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

export class FakeFrameLink implements FrameLink {
  readonly stats: FrameLinkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0 };
  /** Every frame this side sent, before faults (for assertions). */
  readonly sentFrames: Uint8Array[] = [];
  private handler: ((frame: Uint8Array) => void) | undefined;
  private peer: FakeFrameLink | undefined;
  private closed = false;
  private held: Uint8Array | undefined;
  private heldTimer: { cancel(): void } | undefined;

  constructor(
    private readonly faults: FrameFaults,
    private readonly random: () => number,
    private readonly clock: Clock,
  ) {}

  connect(peer: FakeFrameLink): void {
    this.peer = peer;
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.handler = handler;
  }

  async send(frame: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('frame link is closed');
    const copy = frame.slice();
    this.stats.sent++;
    this.sentFrames.push(copy);
    const f = this.faults;
    if (f.loss && this.random() < f.loss) {
      this.stats.dropped++;
      return;
    }
    const copies = f.duplicate && this.random() < f.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    if (f.reorder && !this.held && this.random() < f.reorder) {
      this.stats.reordered++;
      this.held = copy;
      this.heldTimer = this.clock.setTimeout(() => this.flushHeld(), f.holdMs ?? 5);
      if (copies === 2) this.deliver(copy);
      return;
    }
    for (let i = 0; i < copies; i++) this.deliver(copy);
    this.flushHeld();
  }

  private flushHeld(): void {
    this.heldTimer?.cancel();
    this.heldTimer = undefined;
    const h = this.held;
    this.held = undefined;
    if (h) this.deliver(h);
  }

  private deliver(frame: Uint8Array): void {
    const peer = this.peer;
    queueMicrotask(() => {
      if (!peer || peer.closed || this.closed) return;
      this.stats.delivered++;
      peer.handler?.(frame.slice());
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.heldTimer?.cancel();
    this.held = undefined;
  }
}

/** Two connected links: frames sent on `a` arrive at `b` and vice versa. */
export function createFakeFrameLinkPair(options: FakeFrameLinkOptions = {}): { a: FakeFrameLink; b: FakeFrameLink } {
  const random = seededRandom(options.seed ?? 1);
  const clock = options.clock ?? systemClock;
  const a = new FakeFrameLink(options.aToB ?? {}, random, clock);
  const b = new FakeFrameLink(options.bToA ?? {}, random, clock);
  a.connect(b);
  b.connect(a);
  return { a, b };
}
