import type { BootResult } from '../../console/boot-verifier.js';
import type { RunReport } from '../../workflows/run-board.js';

export function renderRunReport(r: RunReport & { oracles?: Array<{ driver: string; oracle: string; ok: boolean; detail: string }>; consoleOk?: boolean }): string {
  const head = `${r.board} (${r.mode}) on QEMU, ${r.accel.toUpperCase()}, stage timeouts x${r.timeoutMultiplier}`;
  if (!r.oracles) return `${head}\n${renderBootResult(r.boot, r.ok, r.durationMs)}`;
  const lines = [head, renderBootResult(r.boot, r.consoleOk ?? r.ok, r.durationMs).split('\n').filter((l) => !/^PASS /.test(l)).join('\n'), 'host-side oracles:'];
  for (const o of r.oracles) lines.push(`  ${o.ok ? 'ok  ' : 'FAIL'} ${o.driver.padEnd(11)} ${o.oracle.padEnd(18)} ${o.detail}`);
  lines.push(r.ok ? `PASS in ${(r.durationMs / 1000).toFixed(1)} s: the report is complete and every oracle agrees` : 'FAIL: the payload report and the host-side oracles do not all agree');
  return lines.join('\n');
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
