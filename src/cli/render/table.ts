/**
 * A text table with a header: every column as wide as its widest cell, two spaces between columns,
 * the last column unpadded (so long values such as paths end the line instead of pushing it).
 */
export function renderTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]) =>
    head
      .map((_, i) => (i === head.length - 1 ? (r[i] ?? '') : (r[i] ?? '').padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n');
}
