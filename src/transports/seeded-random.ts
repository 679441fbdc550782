/**
 * mulberry32: tiny, seedable, good enough for fault injection. Every fake that injects faults
 * draws from one of these, so a seed names one exact fault pattern; changing this function
 * changes the pattern of every seeded test.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
