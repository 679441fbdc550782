/**
 * Framebuffer oracle: the nonce-seeded pattern the payload draws (boot/common/pattern.c, kept
 * bit-identical) and a checker for a QMP `screendump` (binary PPM, P6). Only a payload that drew
 * with this run's nonce, at the size it reported, matches at the sample points.
 */
import { PayloadReportError } from './report.js';

export const PATTERN_GRID = 8;

/** FNV-1a 32 over the nonce (same seed as the C side). */
function seed(nonce: Uint8Array): number {
  let h = 2166136261;
  for (const b of nonce) {
    h ^= b;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

function xorshift32(x: number): number {
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/** Colour of grid block (bx, by) as 0xRRGGBB. */
export function patternBlockRgb(nonce: Uint8Array, bx: number, by: number): number {
  let v = (seed(nonce) ^ Math.imul(by * PATTERN_GRID + bx + 1, 0x9e3779b9)) >>> 0;
  if (v === 0) v = 1;
  return xorshift32(xorshift32(xorshift32(v))) & 0xffffff;
}

/** Colour at pixel (x, y) of a width×height screen. */
export function patternRgb(nonce: Uint8Array, x: number, y: number, width: number, height: number): number {
  return patternBlockRgb(nonce, Math.floor((x * PATTERN_GRID) / width), Math.floor((y * PATTERN_GRID) / height));
}

export interface SamplePoint {
  x: number;
  y: number;
  rgb: number;
}

/** The centre of every grid block: 64 points that together pin the nonce. */
export function patternSamplePoints(nonce: Uint8Array, width: number, height: number): SamplePoint[] {
  const pts: SamplePoint[] = [];
  for (let by = 0; by < PATTERN_GRID; by++)
    for (let bx = 0; bx < PATTERN_GRID; bx++) {
      const x = Math.floor(((bx + 0.5) * width) / PATTERN_GRID);
      const y = Math.floor(((by + 0.5) * height) / PATTERN_GRID);
      pts.push({ x, y, rgb: patternRgb(nonce, x, y, width, height) });
    }
  return pts;
}

export interface PpmImage {
  width: number;
  height: number;
  /** RGB triplets, row-major. */
  data: Uint8Array;
}

/** Parses a binary PPM (P6, maxval 255), as QEMU's screendump writes. */
export function parsePpm(bytes: Uint8Array): PpmImage {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos]!))) pos++;
      if (bytes[pos] === 0x23) while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
      else break;
    }
    const start = pos;
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos]!))) pos++;
    return Buffer.from(bytes.subarray(start, pos)).toString('latin1');
  };
  const magic = token();
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  pos++; // the single whitespace byte after maxval
  if (magic !== 'P6' || !(width > 0) || !(height > 0) || max !== 255 || bytes.length - pos < width * height * 3)
    throw new PayloadReportError(`not a P6/255 PPM screendump (${magic} ${width}x${height} max ${max})`, undefined, 'take the screendump with QMP screendump (PPM)');
  return { width, height, data: bytes.subarray(pos, pos + width * height * 3) };
}

export function ppmPixel(img: PpmImage, x: number, y: number): number {
  const i = (y * img.width + x) * 3;
  return (img.data[i]! << 16) | (img.data[i + 1]! << 8) | img.data[i + 2]!;
}

export interface PatternCheck {
  matched: number;
  total: number;
  mismatches: Array<SamplePoint & { got: number }>;
}

/**
 * Compares a screendump with the pattern at the sample points. `tolerance` allows per-channel
 * rounding (e.g. a 16-bit mode); the default is exact.
 */
export function comparePattern(img: PpmImage, nonce: Uint8Array, tolerance = 0): PatternCheck {
  const pts = patternSamplePoints(nonce, img.width, img.height);
  const mismatches: PatternCheck['mismatches'] = [];
  for (const p of pts) {
    const got = ppmPixel(img, p.x, p.y);
    const close = [16, 8, 0].every((s) => Math.abs(((got >> s) & 0xff) - ((p.rgb >> s) & 0xff)) <= tolerance);
    if (!close) mismatches.push({ ...p, got });
  }
  return { matched: pts.length - mismatches.length, total: pts.length, mismatches };
}

/** Throws unless every sample point matches and the screen has the size the payload reported. */
export function checkFramebufferPattern(ppm: Uint8Array, nonce: Uint8Array, expect: { width: number; height: number; tolerance?: number }): PatternCheck {
  const img = parsePpm(ppm);
  if (img.width !== expect.width || img.height !== expect.height)
    throw new PayloadReportError(`screen is ${img.width}x${img.height}, the payload reported ${expect.width}x${expect.height}`, undefined, 'the framebuffer was not set up by the payload');
  const r = comparePattern(img, nonce, expect.tolerance ?? 0);
  if (r.mismatches.length) {
    const m = r.mismatches[0]!;
    throw new PayloadReportError(
      `framebuffer pattern mismatch at ${r.mismatches.length}/${r.total} sample points (first: (${m.x},${m.y}) got #${m.got.toString(16).padStart(6, '0')}, want #${m.rgb.toString(16).padStart(6, '0')})`,
      undefined,
      'the payload did not draw this run\'s pattern (stale nonce, wrong pixel format, or no drawing at all)',
    );
  }
  return r;
}
