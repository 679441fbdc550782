/**
 * Framebuffer oracle: the nonce-seeded pattern the payload draws (boot/common/pattern.c, kept
 * bit-identical) and a checker for a QMP `screendump` (binary PPM, P6, decoded by `core/ppm.ts`). Only a payload that drew
 * with this run's nonce, at the size it reported, matches at the sample points.
 */
import { decodePpm, type PpmImage } from '../core/ppm.js';
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

/**
 * The pixels the oracle reads: a screendump decoded by `core/ppm.ts`. (`data` is the name the
 * run workflow still hands the same RGB bytes under; either field carries them.)
 */
export type ScreenImage = Pick<PpmImage, 'width' | 'height'> & ({ rgb: Uint8Array } | { data: Uint8Array });

function pixelRgb(img: ScreenImage, x: number, y: number): number {
  const px = 'rgb' in img ? img.rgb : img.data;
  const i = (y * img.width + x) * 3;
  return (px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!;
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
export function comparePattern(img: ScreenImage, nonce: Uint8Array, tolerance = 0): PatternCheck {
  const pts = patternSamplePoints(nonce, img.width, img.height);
  const mismatches: PatternCheck['mismatches'] = [];
  for (const p of pts) {
    const got = pixelRgb(img, p.x, p.y);
    const close = [16, 8, 0].every((s) => Math.abs(((got >> s) & 0xff) - ((p.rgb >> s) & 0xff)) <= tolerance);
    if (!close) mismatches.push({ ...p, got });
  }
  return { matched: pts.length - mismatches.length, total: pts.length, mismatches };
}

/** Throws unless every sample point matches and the screen has the size the payload reported. */
export function checkFramebufferPattern(ppm: Uint8Array, nonce: Uint8Array, expect: { width: number; height: number; tolerance?: number }): PatternCheck {
  const img = decodePpm(ppm);
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
