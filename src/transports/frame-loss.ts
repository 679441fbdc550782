/**
 * Deterministic frame loss on any FrameLink: a documented feature of `run --netboot` (the
 * `netLoss` request field), so a netboot can be tried under a lossy link without netem (the
 * kernels on CI runners have none) and the same loss pattern comes back for the same seed.
 *
 * Frames are dropped in both directions with a seeded PRNG (`seeded-random.ts`, shared with the
 * fakes). Extra properties of the wrapped link (e.g. a QEMU dgram link's ports) are kept.
 */
import type { FrameLink } from './frame-link.js';
import { seededRandom } from './seeded-random.js';

export interface FrameLossOptions {
  /** Probability that a frame (either direction) is dropped, 0..1. */
  loss: number;
  /** PRNG seed: the same seed drops the same frames of the same sequence. Default 1. */
  seed?: number;
}

/** The same link, dropping frames as `faults` says; `dropped` counts what was dropped each way. */
export function withFrameLoss<T extends FrameLink>(link: T, faults: FrameLossOptions): T & { readonly dropped: { in: number; out: number } } {
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
