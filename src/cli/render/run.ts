import type { BootResult } from '../../console/boot-verifier.js';
import type { RunReport } from '../../workflows/run-board.js';

export function renderRunReport(r: RunReport): string {
  return `${r.board} (${r.mode}) on QEMU, ${r.accel.toUpperCase()}, stage timeouts x${r.timeoutMultiplier}\n${renderBootResult(r.boot, r.ok, r.durationMs)}`;
}

/** Timeline, driver reports and the verdict; on failure the stage, why, and the last lines. */
export function renderBootResult(boot: BootResult, ok: boolean, durationMs = boot.durationMs): string {
  const out: string[] = [];
  const width = Math.max(8, ...boot.timeline.map((s) => s.stage.length));
  for (const s of boot.timeline) out.push(`  ${s.stage.padEnd(width)} ${String(s.atMs).padStart(7)} ms  ${s.line.trim().slice(0, 90)}`);
  for (const rep of boot.reports) if (rep.fields.driver) out.push(`  driver ${rep.fields.driver}: ${rep.fields.status ?? '?'}${rep.fields.detail ? ` (${rep.fields.detail})` : ''}`);
  if (ok) out.push(`PASS in ${(durationMs / 1000).toFixed(1)} s`);
  else {
    const f = boot.failure;
    out.push(`FAIL at stage ${f?.stage ?? '?'}: ${f?.kind ?? 'unknown'}: ${f?.message ?? ''}`);
    for (const [set, items] of Object.entries(boot.missing)) if (items.length) out.push(`  missing from ${set}: ${items.join(', ')}`);
    out.push('last console lines:');
    for (const l of boot.tail.slice(-15)) out.push(`  | ${l}`);
  }
  return out.join('\n');
}
