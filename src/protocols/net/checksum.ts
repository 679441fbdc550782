/**
 * The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words, folded and
 * complemented. Used by IPv4 headers (RFC 791 §3.1), UDP (RFC 768) and ICMP (RFC 792).
 */

/** Adds `data` to a running (unfolded) one's-complement sum. An odd trailing byte is padded with 0. */
export function onesComplementSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = data.length;
  let i = 0;
  for (; i + 1 < n; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < n) sum += data[i]! << 8;
  return sum;
}

/** Folds carries and complements: the value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function internetChecksum(data: Uint8Array): number {
  return finishChecksum(onesComplementSum(data));
}
