/**
 * Long and short (8.3) names, fatgen103 §6.1 (short names), §7 (long names, the basis-name and
 * numeric-tail algorithms, the checksum).
 */

/** fatgen103 §6.1: characters allowed in a short name besides A–Z and 0–9 (values > 127 are left out: we write ASCII only). */
const SHORT_EXTRA = new Set("$%'-_@~`!(){}^#&");
/** fatgen103 §7: characters illegal in a long name (plus control characters). */
const LONG_ILLEGAL = new Set('"*/:<>?\\|');
/** fatgen103 §7: "the name can be up to 255 characters long". */
export const LFN_MAX = 255;
/** fatgen103 §7: 13 UCS-2 characters per long-name entry (5 + 6 + 2). */
export const LFN_CHARS_PER_ENTRY = 13;
/** fatgen103 §7: LDIR_Ord | 0x40 marks the last (first stored) long-name entry. */
export const LFN_LAST = 0x40;
/** fatgen103 §6: DIR_Attr values. */
export const Attr = { readOnly: 0x01, hidden: 0x02, system: 0x04, volumeId: 0x08, directory: 0x10, archive: 0x20, longName: 0x0f } as const;

export class FatNameError extends Error {}

/** Rejects names no FAT reader accepts: empty, too long, `.`/`..`, illegal characters, trailing dot or space. */
export function checkLongName(name: string): void {
  if (name.length === 0 || name.length > LFN_MAX) throw new FatNameError(`name '${name}' must be 1 to ${LFN_MAX} characters`);
  if (name === '.' || name === '..') throw new FatNameError(`'${name}' is reserved`);
  if (/[. ]$/.test(name)) throw new FatNameError(`name '${name}' ends with a dot or space (Windows strips them; readers disagree)`);
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || LONG_ILLEGAL.has(ch)) throw new FatNameError(`name '${name}' contains '${ch}', which FAT forbids`);
    if (c > 0xffff) throw new FatNameError(`name '${name}' has a character outside UCS-2`);
  }
}

function shortChar(ch: string): { c: string; lossy: boolean } {
  const u = ch.toUpperCase();
  if (/^[A-Z0-9]$/.test(u) || SHORT_EXTRA.has(u)) return { c: u, lossy: false };
  return { c: '_', lossy: true };
}

/** The 11-byte name as text: 8 base characters then 3 extension characters, space-padded. */
export type ShortName = string;

/** fatgen103 §7 basis-name generation: base and extension, and whether a numeric tail is required. */
export function basisName(long: string): { base: string; ext: string; needsTail: boolean } {
  const noSpaces = long.replace(/ /g, '');
  const stripped = noSpaces.replace(/^\.+/, '');
  const dot = stripped.lastIndexOf('.');
  const rawBase = dot < 0 ? stripped : stripped.slice(0, dot);
  const rawExt = dot < 0 ? '' : stripped.slice(dot + 1);
  let lossy = noSpaces !== long || stripped !== noSpaces;
  const conv = (s: string) =>
    Array.from(s.replace(/\./g, ''), (ch) => {
      const r = shortChar(ch);
      lossy ||= r.lossy;
      return r.c;
    }).join('');
  if (rawBase.includes('.')) lossy = true;
  const base = conv(rawBase);
  const ext = conv(rawExt);
  const fits = base.length >= 1 && base.length <= 8 && ext.length <= 3;
  return { base: base.slice(0, 8), ext: ext.slice(0, 3), needsTail: lossy || !fits };
}

export function shortNameText(base: string, ext: string): ShortName {
  return base.padEnd(8, ' ') + ext.padEnd(3, ' ');
}

/** The short name exactly as a long name would be displayed from it (`NAME.EXT`), for the "is a long name needed" test. */
export function displayShort(s: ShortName): string {
  const base = s.slice(0, 8).trimEnd();
  const ext = s.slice(8).trimEnd();
  return ext ? `${base}.${ext}` : base;
}

/**
 * A unique short name for `long` in a directory whose short names are `taken`; fatgen103 §7
 * numeric-tail generation: `~1`, `~2`, …, shortening the base so that base + tail fits 8 characters.
 */
export function makeShortName(long: string, taken: ReadonlySet<ShortName>): ShortName {
  const { base, ext, needsTail } = basisName(long);
  if (!needsTail) {
    const s = shortNameText(base, ext);
    if (!taken.has(s)) return s;
  }
  const b = base || '_';
  for (let n = 1; n < 1_000_000; n++) {
    const tail = `~${n}`;
    const s = shortNameText(b.slice(0, 8 - tail.length) + tail, ext);
    if (!taken.has(s)) return s;
  }
  throw new FatNameError(`no free short name for '${long}'`);
}

/** fatgen103 §7 ChkSum(): rotate right then add, over the 11 short-name bytes. */
export function shortNameChecksum(name11: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + name11[i]!) & 0xff;
  return sum;
}

/** Short-name bytes from its text form; 0xE5 as first byte is stored as 0x05 (fatgen103 §6.1). */
export function shortNameBytes(s: ShortName): Uint8Array {
  const b = Uint8Array.from(s, (c) => c.charCodeAt(0));
  if (b[0] === 0xe5) b[0] = 0x05;
  return b;
}

/** True when `long` must be stored as long-name entries (it is not its own upper-case short name). */
export function needsLongName(long: string, short: ShortName): boolean {
  return displayShort(short) !== long;
}

/** Offsets of the 13 UCS-2 characters inside a long-name entry: LDIR_Name1 @1, Name2 @14, Name3 @28. */
const LFN_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30] as const;

/** The long-name entries as stored: last part first (ord | 0x40), each 32 bytes. */
export function encodeLongNameEntries(long: string, checksum: number): Uint8Array {
  const n = Math.ceil(long.length / LFN_CHARS_PER_ENTRY);
  const out = new Uint8Array(n * 32);
  const v = new DataView(out.buffer);
  for (let k = 0; k < n; k++) {
    const ord = k + 1;
    const at = (n - 1 - k) * 32;
    out[at] = ord | (ord === n ? LFN_LAST : 0);
    out[at + 11] = Attr.longName;
    out[at + 13] = checksum;
    LFN_OFFSETS.forEach((off, i) => {
      const idx = k * LFN_CHARS_PER_ENTRY + i;
      // §7: the name is NUL-terminated when it does not fill the entry, then padded with 0xFFFF.
      const unit = idx < long.length ? long.charCodeAt(idx) : idx === long.length ? 0 : 0xffff;
      v.setUint16(at + off, unit, true);
    });
  }
  return out;
}

/** The characters of one long-name entry (stopping at NUL). */
export function decodeLongNamePart(entry: Uint8Array): string {
  const v = new DataView(entry.buffer, entry.byteOffset, 32);
  let s = '';
  for (const off of LFN_OFFSETS) {
    const u = v.getUint16(off, true);
    if (u === 0) break;
    s += String.fromCharCode(u);
  }
  return s;
}
