/**
 * An in-memory DatagramNetwork with deterministic, seeded loss, duplication and reordering.
 * Deliveries are scheduled on an injected Clock (a ManualClock in tests), so a run is exactly
 * reproducible from its seed. Every send/deliver/drop is reported to an optional tap, which
 * lets tests check protocol properties (e.g. "no DATA in answer to a duplicate ACK").
 */
import type { Clock } from '../../core/clock.js';
import { BoardkitError } from '../../core/errors.js';
import type { Datagram, DatagramAddress, DatagramLink, DatagramNetwork } from '../datagram-link.js';
import { seededRandom } from './seeded-random.js';

// Tests import the PRNG from here too; one implementation, in seeded-random.ts.
export { seededRandom };

export interface LossyNetworkOptions {
  clock: Clock;
  /** PRNG seed: the same seed and traffic give the same losses. */
  seed?: number;
  /** Probability a datagram is dropped. */
  loss?: number;
  /** Probability a datagram is delivered twice. */
  duplicate?: number;
  /** Probability a datagram gets an extra delay (so it overtakes/gets overtaken). */
  reorder?: number;
  /** Base one-way latency in ms. */
  latencyMs?: number;
  /** Extra delay for a reordered datagram, uniform in [0, reorderDelayMs]. */
  reorderDelayMs?: number;
  tap?: (event: NetworkTapEvent) => void;
}

export interface NetworkTapEvent {
  /** `deliver` fires before the receiver's handler runs, `handled` right after it returns. */
  type: 'send' | 'drop' | 'deliver' | 'handled' | 'unreachable';
  from: DatagramAddress;
  to: DatagramAddress;
  data: Uint8Array;
}

const key = (a: DatagramAddress) => `${a.address}:${a.port}`;

export class LossyDatagramNetwork implements DatagramNetwork {
  private readonly links = new Map<string, FakeLink>();
  private readonly random: () => number;
  private nextPort = 49152;
  readonly counters = { sent: 0, dropped: 0, duplicated: 0, reordered: 0, delivered: 0 };

  constructor(private readonly options: LossyNetworkOptions) {
    this.random = seededRandom(options.seed ?? 1);
  }

  async bind(local: Partial<DatagramAddress>): Promise<DatagramLink> {
    const address = local.address ?? '127.0.0.1';
    let port = local.port ?? 0;
    if (port === 0) {
      do port = this.nextPort++;
      while (this.links.has(key({ address, port })));
      if (this.nextPort > 65535) this.nextPort = 49152;
    }
    const addr = { address, port };
    if (this.links.has(key(addr))) throw new BoardkitError('E_UDP_BIND', 'infrastructure', `address in use: ${key(addr)}`);
    const link = new FakeLink(this, addr);
    this.links.set(key(addr), link);
    return link;
  }

  /** Live links (for leak checks). */
  get openLinks(): number {
    return this.links.size;
  }

  /** @internal */
  transmit(from: DatagramAddress, to: DatagramAddress, data: Uint8Array): void {
    const o = this.options;
    const copy = data.slice();
    this.counters.sent++;
    o.tap?.({ type: 'send', from, to, data: copy });
    if (this.random() < (o.loss ?? 0)) {
      this.counters.dropped++;
      o.tap?.({ type: 'drop', from, to, data: copy });
      return;
    }
    const copies = this.random() < (o.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let i = 0; i < copies; i++) {
      let delay = o.latencyMs ?? 1;
      if (this.random() < (o.reorder ?? 0)) {
        this.counters.reordered++;
        delay += this.random() * (o.reorderDelayMs ?? 5);
      }
      o.clock.setTimeout(() => this.deliver(from, to, copy), delay);
    }
  }

  private deliver(from: DatagramAddress, to: DatagramAddress, data: Uint8Array): void {
    const link = this.links.get(key(to));
    if (!link) {
      this.options.tap?.({ type: 'unreachable', from, to, data });
      return;
    }
    this.counters.delivered++;
    this.options.tap?.({ type: 'deliver', from, to, data });
    link.deliver({ data, from, to });
    this.options.tap?.({ type: 'handled', from, to, data });
  }

  /** @internal */
  release(addr: DatagramAddress): void {
    this.links.delete(key(addr));
  }
}

class FakeLink implements DatagramLink {
  private handler: ((d: Datagram) => void) | undefined;
  private closed = false;

  constructor(
    private readonly net: LossyDatagramNetwork,
    readonly local: DatagramAddress,
  ) {}

  async send(data: Uint8Array, to: DatagramAddress): Promise<void> {
    if (this.closed) throw new BoardkitError('E_LINK_CLOSED', 'infrastructure', 'link is closed');
    this.net.transmit(this.local, to, data);
  }

  onMessage(handler: (dgram: Datagram) => void): void {
    this.handler = handler;
  }

  deliver(d: Datagram): void {
    if (!this.closed) this.handler?.(d);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.net.release(this.local);
  }
}
