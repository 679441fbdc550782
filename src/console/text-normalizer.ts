/**
 * Turns console bytes into the text that patterns see: UTF-8 decoded, ANSI escape sequences
 * removed, and line endings normalised (CRLF, LFCR and a lone CR all become one LF, so a progress
 * line redrawn with CR reads as separate lines). The raw bytes are kept elsewhere; this is only
 * the matching view. Streaming: a sequence or a multi-byte character split across two reads is held
 * back until the rest arrives.
 */

// ECMA-48 §5.4: CSI = ESC [ params (0x30-0x3F)* intermediates (0x20-0x2F)* final (0x40-0x7E).
// OSC (ESC ]) ends at BEL or ST (ESC \). Other escapes are two bytes (ESC + 0x40-0x5F etc.).
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)|[ -/]{0,2}[0-~])/g;
/** An escape sequence that may still be incomplete at the end of a chunk. */
const ANSI_TAIL = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]{0,512}\x1b?|[ -/]{0,2})$/;
const MAX_HELD = 600;

export class TextNormalizer {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private held = '';
  /** The previous chunk ended in CR: an LF at the start of this one belongs to it. */
  private pendingCr = false;

  /** Normalised text for this chunk (may be empty when everything is held back). */
  push(bytes: Uint8Array): string {
    return this.normalise(this.held + this.decoder.decode(bytes, { stream: true }), false);
  }

  /** Whatever is still held back (call at end of stream or before a gap). */
  flush(): string {
    const rest = this.held + this.decoder.decode();
    const out = this.normalise(rest, true);
    this.pendingCr = false;
    return out;
  }

  private normalise(s: string, final: boolean): string {
    this.held = '';
    if (s.includes('\x1b')) {
      if (!final) {
        const tail = ANSI_TAIL.exec(s.slice(-MAX_HELD));
        if (tail) {
          this.held = tail[0];
          s = s.slice(0, s.length - tail[0].length);
        }
      }
      s = s.replace(ANSI, '');
    }
    if (this.pendingCr) {
      this.pendingCr = false;
      if (s.startsWith('\n')) s = s.slice(1);
    }
    if (s.includes('\r')) {
      if (!final && s.endsWith('\r')) this.pendingCr = true;
      // The common case (CRLF only) through the fast literal replace; LFCR and lone CR after it.
      s = s.replaceAll('\r\n', '\n');
      if (s.includes('\r')) s = s.replace(/\n\r|\r/g, '\n');
    }
    return s;
  }
}
