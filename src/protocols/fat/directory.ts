/**
 * Directory entries (fatgen103 §6, 32 bytes): 0 DIR_Name[11] · 11 DIR_Attr · 12 DIR_NTRes ·
 * 13 DIR_CrtTimeTenth · 14 DIR_CrtTime · 16 DIR_CrtDate · 18 DIR_LstAccDate · 20 DIR_FstClusHI ·
 * 22 DIR_WrtTime · 24 DIR_WrtDate · 26 DIR_FstClusLO · 28 DIR_FileSize. Dates and times §6.2.
 */
import { Attr, encodeLongNameEntries, needsLongName, shortNameBytes, shortNameChecksum, type ShortName } from './names.js';

export interface DosDateTime {
  date: number;
  time: number;
}

/** fatgen103 §6.2: date = (year − 1980) << 9 | month << 5 | day; time = h << 11 | m << 5 | s/2. UTC, clamped to 1980…2107. */
export function dosDateTime(epochSeconds: number): DosDateTime {
  const min = Date.UTC(1980, 0, 1) / 1000;
  const max = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;
  const d = new Date(Math.min(Math.max(epochSeconds, min), max) * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  };
}

export function decodeDosDateTime(date: number, time: number): Date {
  return new Date(Date.UTC((date >> 9) + 1980, ((date >> 5) & 15) - 1, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2));
}

export interface ShortEntry {
  name: ShortName;
  attr: number;
  cluster: number;
  size: number;
  stamp: DosDateTime;
}

export function encodeShortEntry(e: ShortEntry): Uint8Array {
  const out = new Uint8Array(32);
  const v = new DataView(out.buffer);
  out.set(e.name === '.' || e.name === '..' ? Uint8Array.from(e.name.padEnd(11, ' '), (c) => c.charCodeAt(0)) : shortNameBytes(e.name), 0);
  out[11] = e.attr;
  v.setUint16(14, e.stamp.time, true);
  v.setUint16(16, e.stamp.date, true);
  v.setUint16(18, e.stamp.date, true);
  v.setUint16(20, (e.cluster >>> 16) & 0xffff, true);
  v.setUint16(22, e.stamp.time, true);
  v.setUint16(24, e.stamp.date, true);
  v.setUint16(26, e.cluster & 0xffff, true);
  v.setUint32(28, e.attr & Attr.directory ? 0 : e.size, true);
  return out;
}

/** Entries one name takes: its long-name entries (if any) then the short entry. */
export function entriesFor(long: string, short: ShortName): number {
  return (needsLongName(long, short) ? Math.ceil(long.length / 13) : 0) + 1;
}

/** Long-name entries (when needed) followed by the short entry. */
export function encodeNamedEntry(long: string, e: ShortEntry): Uint8Array {
  const short = encodeShortEntry(e);
  if (!needsLongName(long, e.name)) return short;
  const lfn = encodeLongNameEntries(long, shortNameChecksum(short.subarray(0, 11)));
  const out = new Uint8Array(lfn.length + 32);
  out.set(lfn, 0);
  out.set(short, lfn.length);
  return out;
}
