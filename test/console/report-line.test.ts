import { describe, expect, it } from 'vitest';
import { parseReportLine } from '../../src/console/report-line.js';

describe('parseReportLine', () => {
  it('parses key=value fields and bare words', () => {
    expect(parseReportLine('BOARDKIT driver=gpio status=ok detail=pl061@0x9030000')).toEqual({
      words: [],
      fields: { driver: 'gpio', status: 'ok', detail: 'pl061@0x9030000' },
      raw: 'BOARDKIT driver=gpio status=ok detail=pl061@0x9030000',
    });
    expect(parseReportLine('BOARDKIT fault pc=0x80001234 cause=7')?.words).toEqual(['fault']);
  });

  it('finds the prefix after a printk timestamp, handles quoted values, ignores look-alikes', () => {
    const r = parseReportLine('[    1.234] BOARDKIT stage=payload note="two words \\"q\\"" empty=');
    expect(r?.fields).toEqual({ stage: 'payload', note: 'two words "q"', empty: '' });
    expect(parseReportLine('NOTBOARDKIT a=b')).toBeUndefined();
    expect(parseReportLine('BOARDKITX a=b')).toBeUndefined();
    expect(parseReportLine('SOMETHING=1', 'BOARDKIT')).toBeUndefined();
  });
});
