/**
 * A raw datagram client for wire tests: sends bytes, queues what arrives (a copy, with its source
 * and arrival time) and waits for the next datagram or for silence.
 */
import type { Datagram, DatagramAddress, DatagramLink, DatagramNetwork } from '../../src/transports/datagram-link.js';

export interface RawDatagramClient {
  link: DatagramLink;
  send(bytes: Uint8Array, to: DatagramAddress): Promise<void>;
  /** The next datagram, waiting up to `ms`; throws when none comes. */
  next(ms?: number): Promise<Datagram & { at: number }>;
  /** Waits `ms` and tells whether nothing arrived meanwhile. */
  quiet(ms?: number): Promise<boolean>;
}

export async function rawDatagramClient(network: DatagramNetwork, address = '127.0.0.1'): Promise<RawDatagramClient> {
  const link = await network.bind({ address, port: 0 });
  const inbox: Array<Datagram & { at: number }> = [];
  let wake: (() => void) | undefined;
  link.onMessage((d) => {
    inbox.push({ ...d, data: Uint8Array.from(d.data), at: performance.now() });
    wake?.();
  });
  return {
    link,
    send: (bytes, to) => link.send(bytes, to),
    async next(ms = 3000) {
      const end = performance.now() + ms;
      while (inbox.length === 0) {
        if (performance.now() > end) throw new Error(`no datagram within ${ms} ms`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 20);
        });
      }
      return inbox.shift()!;
    },
    async quiet(ms = 300) {
      await new Promise((r) => setTimeout(r, ms));
      return inbox.length === 0;
    },
  };
}
