import type { BootResult } from '../../console/boot-verifier.js';
import type { RunReport } from '../../workflows/run-board.js';
import type { VerdictCheck } from '../../workflows/verdict.js';

export interface RenderOptions {
  /** Show QEMU's command line and every check's evidence. */
  verbose?: boolean;
}

export function renderRunReport(r: RunReport & { oracles?: Array<{ driver: string; oracle: string; ok: boolean; detail: string }>; consoleOk?: boolean }, o: RenderOptions = {}): string {
  const head = `${r.board} (${r.mode}) on QEMU, ${r.accel.toUpperCase()}, stage timeouts x${r.timeoutMultiplier}`;
  const lines = [head];
  if (o.verbose) lines.push(`qemu (pid ${r.qemu.pid}): ${[r.qemu.binary, ...r.qemu.args].join(' ')}`);
  if (!r.oracles) {
    lines.push(renderBootResult(r.boot, r.ok, r.durationMs, { checks: r.checks, verbose: o.verbose }));
    return lines.join('\n');
  }
  lines.push(renderBootResult(r.boot, r.consoleOk ?? r.ok, r.durationMs, { checks: r.checks.filter((c) => !/ oracle \(/.test(c.name)), verbose: o.verbose }).split('\n').filter((l) => !/^PASS /.test(l)).join('\n'), 'host-side oracles:');
  for (const x of r.oracles) lines.push(`  ${x.ok ? 'ok  ' : 'FAIL'} ${x.driver.padEnd(11)} ${x.oracle.padEnd(18)} ${x.detail}`);
  lines.push(r.ok ? `PASS in ${(r.durationMs / 1000).toFixed(1)} s: the report is complete and every oracle agrees` : 'FAIL: the payload report and the host-side oracles do not all agree');
  return lines.join('\n');
}

/** What the verdict rests on: each check that ran, and each that did not apply with the reason. */
export function renderChecks(checks: readonly VerdictCheck[], verbose = false): string[] {
  const mark = { passed: 'ok  ', failed: 'FAIL', 'not-applicable': 'n/a ' } as const;
  return ['checks:', ...checks.map((c) => `  ${mark[c.status]} ${c.name.padEnd(18)} ${verbose || c.status !== 'passed' ? c.detail : c.detail.slice(0, 100)}`)];
}

/** Timeline, driver reports and the verdict; on failure the stage, why, and the last lines. */
export function renderBootResult(boot: BootResult, ok: boolean, durationMs = boot.durationMs, o: { checks?: readonly VerdictCheck[]; verbose?: boolean | undefined } = {}): string {
  const out: string[] = [];
  const width = Math.max(8, ...boot.timeline.map((s) => s.stage.length));
  for (const s of boot.timeline) out.push(`  ${s.stage.padEnd(width)} ${String(s.atMs).padStart(7)} ms  ${s.line.trim().slice(0, 90)}`);
  for (const rep of boot.reports) if (rep.fields.driver) out.push(`  driver ${rep.fields.driver}: ${rep.fields.status ?? '?'}${rep.fields.detail ? ` (${rep.fields.detail})` : ''}`);
  if (o.checks?.length) out.push(...renderChecks(o.checks, o.verbose));
  if (ok) out.push(`PASS in ${(durationMs / 1000).toFixed(1)} s`);
  else {
    const f = boot.failure;
    out.push(`FAIL at stage ${f?.stage ?? '?'}: ${f?.kind ?? 'unknown'}: ${f?.message ?? ''}`);
    for (const [set, items] of Object.entries(boot.missing)) if (items.length) out.push(`  missing from ${set}: ${items.join(', ')}`);
    if (!boot.received || boot.tail.length === 0) out.push('last console lines: none (nothing was received on the console)');
    else {
      out.push('last console lines:');
      for (const l of boot.tail.slice(-15)) out.push(`  | ${l}`);
    }
  }
  return out.join('\n');
}
