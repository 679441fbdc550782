import { AbortedError } from '../core/abort.js';
import { TimeoutError } from '../core/abort.js';

/**
 * Fan-out of a stream of values with a history: callbacks, async iteration and "wait for the
 * first match since index N" (so a caller that triggers an action and then waits cannot miss an
 * event that arrived in between, by taking `history.length` before acting).
 */
export class EventHub<T> {
  private readonly items: T[] = [];
  private readonly listeners = new Set<(item: T) => void>();
  private readonly enders = new Set<() => void>();
  private ended = false;

  get history(): readonly T[] {
    return this.items;
  }

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    for (const l of this.listeners) l(item);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const e of this.enders) e();
    this.enders.clear();
  }

  subscribe(listener: (item: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async *stream(signal?: AbortSignal): AsyncGenerator<T> {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    const unsub = this.subscribe((item) => {
      queue.push(item);
      wake?.();
    });
    const stop = () => wake?.();
    this.enders.add(stop);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (this.ended || signal?.aborted) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      unsub();
      this.enders.delete(stop);
      signal?.removeEventListener('abort', stop);
    }
  }

  waitFor(
    match: (item: T) => boolean,
    options: { since?: number; timeoutMs?: number; signal?: AbortSignal; what?: string } = {},
  ): Promise<T> {
    const found = this.items.slice(options.since ?? this.items.length).find(match);
    if (found !== undefined) return Promise.resolve(found);
    const what = options.what ?? 'event';
    return new Promise<T>((resolve, reject) => {
      const finish = (fn: () => void) => {
        unsub();
        this.enders.delete(onEnd);
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const unsub = this.subscribe((item) => {
        if (match(item)) finish(() => resolve(item));
      });
      const onEnd = () => finish(() => reject(new TimeoutError(`${what} never came: the machine exited`)));
      const onAbort = () => finish(() => reject(new AbortedError(options.signal?.reason)));
      const timer = options.timeoutMs !== undefined ? setTimeout(() => finish(() => reject(new TimeoutError(`no ${what} within ${options.timeoutMs} ms`))), options.timeoutMs) : undefined;
      if (this.ended) return onEnd();
      this.enders.add(onEnd);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
