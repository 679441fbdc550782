import type { FrameLink } from '../frame-link.js';
import { seededRandom } from './seeded-random.js';

export interface LinkFaults {
  /** Probability that a frame (either direction) is dropped. */
  loss: number;
  /** PRNG seed: the same seed drops the same frames of the same sequence. Default 1. */
  seed?: number;
}

/**
 * Wraps a real frame link (e.g. QEMU's dgram link) and drops frames in both directions with a
 * seeded PRNG: deterministic loss for netboot tests without netem (the kernels here have none).
 * Extra properties of the wrapped link (ports) are kept.
 */
export function withFrameLoss<T extends FrameLink>(link: T, faults: LinkFaults): T & { readonly dropped: { in: number; out: number } } {
  const random = seededRandom(faults.seed ?? 1);
  const dropped = { in: 0, out: 0 };
  const wrapped = Object.create(link) as T & { dropped: { in: number; out: number } };
  Object.defineProperty(wrapped, 'dropped', { value: dropped });
  wrapped.send = async (frame: Uint8Array) => {
    if (random() < faults.loss) {
      dropped.out++;
      return;
    }
    return link.send(frame);
  };
  wrapped.onFrame = (handler: (frame: Uint8Array) => void) =>
    link.onFrame((frame) => {
      if (random() < faults.loss) dropped.in++;
      else handler(frame);
    });
  wrapped.close = () => link.close();
  return wrapped;
}
