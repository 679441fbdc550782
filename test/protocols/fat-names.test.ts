import { describe, expect, it } from 'vitest';
import { basisName, checkLongName, encodeLongNameEntries, decodeLongNamePart, makeShortName, needsLongName, shortNameChecksum, shortNameText } from '../../src/protocols/fat/names.js';
import { dosDateTime } from '../../src/protocols/fat/directory.js';
import { chooseGeometry, fatTypeOf } from '../../src/protocols/fat/geometry.js';

describe('FAT names (fatgen103 §7)', () => {
  it('basis names and numeric tails follow the spec examples', () => {
    expect(makeShortName('The quick brown.fox', new Set())).toBe(shortNameText('THEQUI~1', 'FOX'));
    expect(makeShortName('.bashrc', new Set())).toBe(shortNameText('BASHRC~1', ''));
    expect(makeShortName('README.TXT', new Set())).toBe(shortNameText('README', 'TXT'));
    expect(makeShortName('boot.scr', new Set())).toBe(shortNameText('BOOT', 'SCR'));
    expect(needsLongName('boot.scr', shortNameText('BOOT', 'SCR'))).toBe(true);
    expect(needsLongName('README.TXT', shortNameText('README', 'TXT'))).toBe(false);
    expect(basisName('a+b.c').needsTail).toBe(true);
    const taken = new Set<string>();
    const names = Array.from({ length: 12 }, (_, i) => {
      const s = makeShortName(`longfilename ${i}.text`, taken);
      taken.add(s);
      return s;
    });
    expect(names[0]).toBe(shortNameText('LONGFI~1', 'TEX'));
    expect(names[9]).toBe(shortNameText('LONGF~10', 'TEX'));
    expect(new Set(names).size).toBe(12);
  });

  it('rejects names FAT cannot hold', () => {
    for (const bad of ['', 'a/b', 'a:b', 'x.', 'x ', '..', 'a'.repeat(256), 'tab\there']) expect(() => checkLongName(bad)).toThrow();
  });

  it('long-name entries: reverse order, last flag, NUL then 0xFFFF padding, checksum', () => {
    const sn = new TextEncoder().encode(shortNameText('THEQUI~1', 'FOX'));
    const sum = shortNameChecksum(sn);
    const e = encodeLongNameEntries('The quick brown.fox', sum);
    expect(e.length).toBe(64);
    expect(e[0]).toBe(0x42);
    expect(e[32]).toBe(0x01);
    expect(e[13]).toBe(sum);
    expect(decodeLongNamePart(e.subarray(32, 64)) + decodeLongNamePart(e.subarray(0, 32))).toBe('The quick brown.fox');
    // 19 chars: entry 2 holds 6 chars, a NUL, then 0xFFFF.
    expect([e[16], e[17], e[18], e[19]]).toEqual([0, 0, 0xff, 0xff]); // char 7 of the entry sits at offset 16 (Name2)
  });

  it('timestamps are UTC DOS dates and clamp to 1980', () => {
    expect(dosDateTime(Date.UTC(2023, 10, 14, 22, 13, 20) / 1000)).toEqual({ date: (43 << 9) | (11 << 5) | 14, time: (22 << 11) | (13 << 5) | 10 });
    expect(dosDateTime(0)).toEqual({ date: (0 << 9) | (1 << 5) | 1, time: 0 });
  });

  it('the cluster count alone decides the type; a request that cannot reach its type fails', () => {
    expect([4084, 4085, 65524, 65525].map(fatTypeOf)).toEqual([12, 16, 16, 32]);
    expect(() => chooseGeometry({ totalSectors: 2000, type: 32 })).toThrow(/FAT32/);
    expect(chooseGeometry({ totalSectors: 64 * 2048, type: 32 }).clusterCount).toBeGreaterThanOrEqual(65525);
  });
});
