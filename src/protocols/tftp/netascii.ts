/**
 * netascii (RFC 1350 §5, RFC 764 NVT ASCII): on the wire a newline is CR LF and a bare CR is
 * CR NUL. We convert whole files (netascii is for small text files), which keeps block arithmetic
 * on the converted bytes simple and makes tsize the exact wire size.
 */
const CR = 0x0d;
const LF = 0x0a;

/** Local text (LF newlines) to wire netascii. */
export function toNetascii(bytes: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of bytes) if (b === LF || b === CR) extra++;
  const out = new Uint8Array(bytes.length + extra);
  let o = 0;
  for (const b of bytes) {
    if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (b === CR) {
      out[o++] = CR;
      out[o++] = 0;
    } else out[o++] = b;
  }
  return out;
}

/** Wire netascii to local text: CR LF → LF, CR NUL → CR (a trailing lone CR is kept). */
export function fromNetascii(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === CR && i + 1 < bytes.length && (bytes[i + 1] === LF || bytes[i + 1] === 0)) {
      out[o++] = bytes[i + 1] === LF ? LF : CR;
      i++;
    } else out[o++] = b;
  }
  return out.slice(0, o);
}
