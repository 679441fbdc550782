import type { ProgressSink } from '../../core/progress.js';
import type { RunReport } from '../../workflows/run-board.js';
import type { CliContext } from '../context.js';

/** Progress lines on stderr (never with --json on stdout mixed in; stderr stays human). */
export function progressRenderer(ctx: CliContext): ProgressSink {
  if (ctx.json && !ctx.verbose) return () => {};
  return (e) => {
    if (e.type === 'stage') return; // the report shows the timeline
    if (e.message && (ctx.verbose || e.source === 'run')) ctx.output.err(`  ${e.source}: ${e.message}`);
  };
}

export function renderRunReport(r: RunReport): string {
  const out: string[] = [];
  out.push(`${r.board} (${r.mode}) on QEMU, ${r.accel.toUpperCase()}, stage timeouts x${r.timeoutMultiplier}`);
  const width = Math.max(8, ...r.boot.timeline.map((s) => s.stage.length));
  for (const s of r.boot.timeline) out.push(`  ${s.stage.padEnd(width)} ${String(s.atMs).padStart(7)} ms  ${s.line.trim().slice(0, 90)}`);
  for (const rep of r.boot.reports) if (rep.fields.driver) out.push(`  driver ${rep.fields.driver}: ${rep.fields.status ?? '?'}${rep.fields.detail ? ` (${rep.fields.detail})` : ''}`);
  if (r.ok) out.push(`PASS in ${(r.durationMs / 1000).toFixed(1)} s`);
  else {
    const f = r.boot.failure;
    out.push(`FAIL at stage ${f?.stage ?? '?'}: ${f?.kind ?? 'unknown'}: ${f?.message ?? ''}`);
    for (const [set, items] of Object.entries(r.boot.missing)) if (items.length) out.push(`  missing from ${set}: ${items.join(', ')}`);
    out.push('last console lines:');
    for (const l of r.boot.tail.slice(-15)) out.push(`  | ${l}`);
  }
  return out.join('\n');
}
