import { BoardkitError } from '../core/errors.js';

/**
 * The one decoder for binary PPM (Netpbm "P6", netpbm.sourceforge.net/doc/ppm.html), the format QEMU's
 * `screendump` writes: "P6", whitespace, width, height, maxval (each separated by whitespace,
 * `#` comments allowed in the header), one whitespace byte, then width*height RGB triples of one
 * byte each (maxval < 256) or two bytes big-endian (maxval >= 256). The QEMU runner decodes its
 * screendumps with it (`emulator/`) and the framebuffer oracle reads them (`payload/fb-pattern.ts`).
 */
export interface PpmImage {
  width: number;
  height: number;
  maxval: number;
  /** RGB, 8 bits per channel, row-major, scaled to 0..255 when maxval differs. */
  rgb: Uint8Array;
}

export function decodePpm(bytes: Uint8Array): PpmImage {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new BoardkitError('E_PPM', 'infrastructure', `not a binary PPM: ${msg}`, { details: { offset: pos } });
  };
  const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  const token = (): string => {
    for (;;) {
      while (isSpace(bytes[pos])) pos++;
      if (bytes[pos] === 0x23 /* # */) {
        while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < bytes.length && !isSpace(bytes[pos]) && bytes[pos] !== 0x23) pos++;
    if (start === pos) fail('truncated header');
    return String.fromCharCode(...bytes.subarray(start, pos));
  };
  if (token() !== 'P6') fail('magic is not P6');
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) fail('bad size');
  if (!Number.isInteger(maxval) || maxval <= 0 || maxval > 65535) fail('bad maxval');
  if (!isSpace(bytes[pos])) fail('no whitespace after maxval');
  pos++;
  const bpc = maxval < 256 ? 1 : 2;
  const need = width * height * 3 * bpc;
  if (bytes.length - pos < need) fail(`pixel data is ${bytes.length - pos} bytes, expected ${need}`);
  const rgb = new Uint8Array(width * height * 3);
  if (bpc === 1 && maxval === 255) rgb.set(bytes.subarray(pos, pos + need));
  else {
    for (let i = 0; i < rgb.length; i++) {
      const v = bpc === 1 ? bytes[pos + i]! : (bytes[pos + 2 * i]! << 8) | bytes[pos + 2 * i + 1]!;
      rgb[i] = Math.round((v * 255) / maxval);
    }
  }
  return { width, height, maxval, rgb };
}

/** The [r, g, b] of one pixel. */
export function pixelAt(img: PpmImage, x: number, y: number): [number, number, number] {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) throw new RangeError(`pixel ${x},${y} outside ${img.width}x${img.height}`);
  const i = (y * img.width + x) * 3;
  return [img.rgb[i]!, img.rgb[i + 1]!, img.rgb[i + 2]!];
}

/** The inverse of decodePpm for 8-bit RGB: "P6", width, height, 255, then the triples (any viewer opens it). */
export function encodePpm(img: { width: number; height: number; rgb: Uint8Array }): Uint8Array {
  const head = new TextEncoder().encode(`P6\n${img.width} ${img.height}\n255\n`);
  const out = new Uint8Array(head.length + img.rgb.length);
  out.set(head);
  out.set(img.rgb, head.length);
  return out;
}
