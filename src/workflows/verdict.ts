import type { BootResult, BootSpec } from '../console/boot-verifier.js';

/** One check of a verdict: what ran, what it found, and what did not apply (and why). */
export interface VerdictCheck {
  name: string;
  status: 'passed' | 'failed' | 'not-applicable';
  detail: string;
}

/**
 * What the console verification checked: the stage markers, the failure patterns (armed until the
 * end condition), and the reference payload's report when there was one. Host-side oracles are
 * added by the payload workflow; without it they are listed as not applicable.
 */
export function consoleChecks(boot: BootResult, spec: BootSpec): VerdictCheck[] {
  const f = boot.failure;
  const stages = spec.markers.map((m) => m.stage);
  const reached = boot.timeline.map((s) => s.stage);
  const end = [boot.end.resultLine ? 'the report\'s result= line' : '', boot.end.pattern ? `/${boot.end.pattern}/` : '', boot.end.settleMs ? `${boot.end.settleMs} ms of settle` : ''].filter(Boolean).join(', then ');
  const patternKinds = new Set(['failure-pattern', 'fault', 'report-fail']);
  const checks: VerdictCheck[] = [
    {
      name: 'stage markers',
      status: f && !patternKinds.has(f.kind) ? 'failed' : reached.length === stages.length ? 'passed' : 'failed',
      detail: `${reached.length}/${stages.length} in order (${stages.join(' -> ')})${f && !patternKinds.has(f.kind) ? `: ${f.message}` : ''}`,
    },
    {
      name: 'failure patterns',
      status: f && patternKinds.has(f.kind) ? 'failed' : f ? 'not-applicable' : 'passed',
      detail: f && patternKinds.has(f.kind) ? f.message : `${spec.failures.map((x) => x.name).join(', ') || 'none'}${spec.reportPrefix ? `, ${spec.reportPrefix} fault/status=fail/result=fail` : ''} armed until the end${end ? ` (${end})` : ''}${f ? ' (the run stopped early)' : ''}`,
    },
  ];
  const payloadLine = boot.reports.find((r) => r.fields.stage === 'payload');
  if (!spec.reportPrefix || !payloadLine) {
    checks.push({ name: 'payload report', status: 'not-applicable', detail: spec.reportPrefix ? `no ${spec.reportPrefix} stage=payload line: not the reference payload` : 'report parsing is off' });
  } else if (/^0{8,}$/.test(payloadLine.fields.nonce ?? '')) {
    checks.push({ name: 'payload report', status: 'not-applicable', detail: `the report carries nonce ${payloadLine.fields.nonce}: the payload was not patched for this run, so its lines prove nothing (run it as the reference payload: a \`payload build\` directory or --drivers)` });
  } else {
    const result = boot.reports.find((r) => r.fields.result !== undefined)?.fields.result;
    checks.push({ name: 'payload report', status: result === 'pass' && boot.ok ? 'passed' : 'failed', detail: `result=${result ?? '(none)'}, ${boot.reports.filter((r) => r.fields.driver).length} driver line(s)` });
  }
  return checks;
}

/** Listed when a run is not judged by the reference payload's host-side oracles. */
export const ORACLES_NOT_RUN: VerdictCheck = {
  name: 'host-side oracles',
  status: 'not-applicable',
  detail: 'not run: only the reference payload (a `payload build` directory, or --drivers) is judged by host-side oracles',
};

