import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../../src/core/did-you-mean.js';

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one edit each', () => {
    expect(editDistance('vendorr', 'vendor')).toBe(1);
    expect(editDistance('vendr', 'vendor')).toBe(1);
    expect(editDistance('vendxr', 'vendor')).toBe(1);
    expect(editDistance('vednor', 'vendor')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the nearest name within the typo budget, else nothing', () => {
    const keys = ['id', 'name', 'vendor', 'extends', 'console', 'emulation'];
    expect(nearestName('vendorr', keys)).toBe('vendor');
    expect(nearestName('Vendor', keys)).toBe('vendor');
    expect(nearestName('consle', keys)).toBe('console');
    expect(nearestName('emultion', keys)).toBe('emulation');
    expect(nearestName('colour', keys)).toBeUndefined();
    expect(nearestName('xy', keys)).toBeUndefined();
  });
});
