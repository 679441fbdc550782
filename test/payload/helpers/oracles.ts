import { checkFramebufferPattern } from '../../../src/payload/fb-pattern.js';

/** True only when a screendump exists and shows this run's pattern at 640x480. */
export function framebufferProven(screen: Uint8Array | undefined, nonce: Uint8Array): boolean {
  if (!screen) return false;
  try {
    checkFramebufferPattern(screen, nonce, { width: 640, height: 480 });
    return true;
  } catch {
    return false;
  }
}
