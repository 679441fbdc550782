/**
 * The reference payload's machine-readable report lines, e.g.
 * `BOARDKIT driver=gpio status=ok detail=pl061@0x9030000` or `BOARDKIT fault pc=0x80001234 cause=7`.
 * A line is the prefix, then space-separated tokens: `key=value` fields (a value may be
 * double-quoted to hold spaces; `\"` and `\\` escape inside quotes) and bare words (`fault`).
 * The prefix may appear after other text on the line (a printk timestamp, interleaved output).
 */
export interface ReportLine {
  /** Bare tokens in order, e.g. ['fault']. */
  words: string[];
  fields: Record<string, string>;
  /** The report part of the line, from the prefix on. */
  raw: string;
}

export const DEFAULT_REPORT_PREFIX = 'BOARDKIT';

export function parseReportLine(line: string, prefix = DEFAULT_REPORT_PREFIX): ReportLine | undefined {
  let idx = -1;
  for (let from = 0; ; from = idx + 1) {
    idx = line.indexOf(prefix, from);
    if (idx < 0) return undefined;
    const before = idx === 0 ? ' ' : line[idx - 1]!;
    const after = line[idx + prefix.length];
    if (/[\s\]>:]/.test(before) && (after === undefined || after === ' ' || after === '\t')) break;
  }
  const raw = line.slice(idx).trimEnd();
  const body = raw.slice(prefix.length);
  const words: string[] = [];
  const fields: Record<string, string> = {};
  const token = /\s*([A-Za-z_][\w.-]{0,63})=(?:"((?:[^"\\]|\\.){0,1024})"|(\S{0,1024}))|\s*(\S{1,1024})/gy;
  for (let m = token.exec(body); m && m[0].trim(); m = token.exec(body)) {
    if (m[1] !== undefined) fields[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    else if (m[4] !== undefined) words.push(m[4]);
  }
  return { words, fields, raw };
}
