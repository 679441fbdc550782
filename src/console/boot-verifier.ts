import type { Clock } from '../core/clock.js';
import { BoardkitError } from '../core/errors.js';
import { compilePattern, literalPattern, type PatternSource } from './bounded-pattern.js';
import type { ConsoleSession, Disposable, NamedPattern } from './console-session.js';
import { parseReportLine, DEFAULT_REPORT_PREFIX, type ReportLine } from './report-line.js';

/**
 * Generic, data-driven boot verification: ordered stage markers with per-stage timeouts, sets of
 * items that must all appear (in any order), failure patterns (optionally armed only after a stage,
 * e.g. a firmware banner after the payload started = an unexpected reset), and the payload's
 * `BOARDKIT ...` report lines, where any `status=fail` or `fault` fails at once.
 * No board knowledge lives here: profiles and run files supply the spec.
 */
export interface BootMarker {
  stage: string;
  pattern: PatternSource;
  /** Time allowed from the previous stage (or the start) on real hardware, in ms. */
  timeoutMs: number;
}

export interface ExpectedItem {
  name: string;
  pattern: PatternSource;
}

export interface ExpectedSet {
  name: string;
  items: ExpectedItem[];
  /** The set must be complete when this stage's marker is seen (default: the last stage). */
  before?: string;
}

export interface FailureSpec {
  name: string;
  pattern: PatternSource;
  /** Armed only once this stage's marker has been seen (matches from that point on). */
  after?: string;
}

/**
 * When a run is over. Failure patterns stay armed until then: a boot that faults after its last
 * marker fails.
 */
export interface BootEnd {
  /** A final line to wait for after the last marker (e.g. a test's `result=` line). */
  pattern?: PatternSource;
  /** Time allowed for `pattern` after the last marker, in ms (hardware; the multiplier applies). Default 30 000. */
  timeoutMs?: number;
  /**
   * After the end (the final line, or the last marker), keep listening this long (ms on real
   * hardware; the timeout multiplier applies, as output comes later under emulation) so a fault or
   * panic right after it still fails the boot.
   */
  settleMs?: number;
}

export interface BootSpec {
  markers: BootMarker[];
  expectedSets?: ExpectedSet[];
  failures: FailureSpec[];
  /**
   * Report line prefix; default 'BOARDKIT'. Set to '' to disable report parsing. With a prefix,
   * a report that began (`PREFIX stage=payload`) is only over at its `PREFIX result=` line: the
   * verifier waits for it after the last marker, and `result=fail`, any `status=fail` and a
   * `fault` fail the boot.
   */
  reportPrefix?: string;
  end?: BootEnd;
}

export interface VerifyBootOptions {
  signal?: AbortSignal;
  /**
   * Must be the session's clock (expect timeouts run on it); accepted so callers can state it.
   * Default: `session.clock`.
   */
  clock?: Clock;
  /** Multiplies every marker timeout (emulation under TCG is slower than hardware). Default 1. */
  timeoutMultiplier?: number;
  /** Console lines kept in the result. Default 30. */
  tailLines?: number;
  /**
   * Where in the console text to begin: 'start' (default: everything since the session attached,
   * so output that arrived before this call counts), 'end' (only what arrives from now on, e.g.
   * after a reset), or an offset from `session.position`.
   */
  from?: 'start' | 'end' | number;
  /**
   * Wait this long (ms) for the first byte before the first stage's timer starts (a real board is
   * powered on by hand after the port opens). Default: the first stage's timer starts at once.
   */
  powerOnTimeoutMs?: number;
}

export type BootFailureKind = 'marker-timeout' | 'failure-pattern' | 'report-fail' | 'fault' | 'link-lost' | 'expected-missing' | 'no-output' | 'run-timeout' | 'aborted';

export interface BootFailure {
  kind: BootFailureKind;
  /** The stage being waited for when it failed. */
  stage: string;
  /** The failure pattern, marker, expected item(s) or report line concerned. */
  subject: string;
  message: string;
  /** The console line that caused it, when there is one. */
  line?: string;
  /** ms since verification started. */
  atMs: number;
}

export interface StageTiming {
  stage: string;
  /** ms since verification started when the marker was seen. */
  atMs: number;
  line: string;
}

export interface BootResult {
  ok: boolean;
  failure?: BootFailure;
  timeline: StageTiming[];
  reports: ReportLine[];
  /** Expected set items seen, by set name. */
  seen: Record<string, string[]>;
  /** Expected set items not seen, by set name (empty when complete). */
  missing: Record<string, string[]>;
  tail: string[];
  durationMs: number;
  /** Whether anything at all arrived on the console during verification. */
  received: boolean;
  /** The end condition that was applied after the last marker (for the verdict's list of checks). */
  end: { resultLine: boolean; pattern?: string; settleMs: number };
}

/** A pattern nothing matches (control bytes never reach the text): waiting on it is a timed listen. */
const NEVER = '\\x00\\x01\\x02 boardkit-never';

/** Validates a spec up front (all patterns bounded, stage names known); throws the first problem. */
export function checkBootSpec(spec: BootSpec): void {
  const stages = new Set(spec.markers.map((m) => m.stage));
  if (!spec.markers.length) throw new BoardkitError('E_BOOT_SPEC', 'input', 'a boot spec needs at least one marker');
  for (const m of spec.markers) compilePattern(m.pattern);
  for (const f of spec.failures) {
    compilePattern(f.pattern);
    if (f.after && !stages.has(f.after)) throw new BoardkitError('E_BOOT_SPEC', 'input', `failure '${f.name}' is armed after unknown stage '${f.after}'`, { hint: `stages: ${[...stages].join(', ')}` });
  }
  for (const s of spec.expectedSets ?? []) {
    for (const i of s.items) compilePattern(i.pattern);
    if (s.before && !stages.has(s.before)) throw new BoardkitError('E_BOOT_SPEC', 'input', `expected set '${s.name}' refers to unknown stage '${s.before}'`);
  }
  if (spec.end?.pattern !== undefined) compilePattern(spec.end.pattern);
}

/**
 * Runs the spec against a console from its current position. Never throws for a failed boot: the
 * result says what happened. Throws only for a bad spec.
 */
export async function verifyBoot(session: ConsoleSession, spec: BootSpec, options: VerifyBootOptions = {}): Promise<BootResult> {
  checkBootSpec(spec);
  if (options.clock && options.clock !== session.clock) {
    throw new BoardkitError('E_USAGE', 'internal', 'verifyBoot was given a clock other than the console session\'s', {
      hint: 'create the ConsoleSession with the clock you want: ConsoleSession.attach(link, { clock })',
    });
  }
  const clock = session.clock;
  const t0 = clock.now();
  const since = (t: number): number => Math.max(0, Math.round(t - t0));
  const multiplier = options.timeoutMultiplier ?? 1;
  const origin = options.from === 'end' ? session.position : typeof options.from === 'number' ? options.from : 0;
  const cursor = session.cursor(origin);
  const timeline: StageTiming[] = [];
  const reports: ReportLine[] = [];
  const disposables: Disposable[] = [];
  const prefix = spec.reportPrefix ?? DEFAULT_REPORT_PREFIX;
  const settleMs = Math.round((spec.end?.settleMs ?? 0) * (options.timeoutMultiplier ?? 1));
  /** Set once a report has begun (a `stage=payload` line): then its `result=` line ends the run. */
  let resultLine = false;
  const seen: Record<string, string[]> = {};
  const missing: Record<string, Set<string>> = {};
  let current = spec.markers[0]!.stage;
  let failure: BootFailure | undefined;
  // Report failures go through the session's failure machinery so that ordering within one read
  // is exact: markers before the failing line are still reached, the stage after it fails.
  const reportKinds = new Map<string, BootFailureKind>();

  const fail = (f: Omit<BootFailure, 'stage' | 'atMs'> & { at?: number }): void => {
    if (failure) return;
    failure = { kind: f.kind, stage: current, subject: f.subject, message: f.message, ...(f.line !== undefined ? { line: f.line } : {}), atMs: since(f.at ?? clock.now()) };
  };

  const armFailures = (list: NamedPattern[], from: number): void => {
    if (list.length) disposables.push(session.failOn(list, { from }));
  };
  const named = (list: FailureSpec[]): NamedPattern[] => list.map((f) => ({ name: f.name, pattern: f.pattern }));

  try {
    armFailures(named(spec.failures.filter((f) => !f.after)), origin);
    if (prefix) {
      const p = `(?:^|[\\s\\]>:])${literalPattern(prefix)}[ \\t]`;
      const reportFail = `${prefix} status=fail`;
      const fault = `${prefix} fault`;
      reportKinds.set(reportFail, 'report-fail');
      reportKinds.set(fault, 'fault');
      const resultFail = `${prefix} result=fail`;
      reportKinds.set(resultFail, 'report-fail');
      armFailures(
        [
          { name: reportFail, pattern: `${p}(?:[^\\n]{0,512}[ \\t])?status=fail(?=\\s|$)` },
          { name: resultFail, pattern: `${p}(?:[^\\n]{0,512}[ \\t])?result=fail(?=\\s|$)` },
          { name: fault, pattern: `${p}[ \\t]{0,4}fault(?=\\s|$)` },
        ],
        origin,
      );
      disposables.push(
        session.watch([{ name: 'report', pattern: `${literalPattern(prefix)}(?=[ \\t]|$)` }], (hit) => {
          const r = parseReportLine(hit.line, prefix);
          if (r) reports.push(r);
        }, { from: origin }),
      );
    }
    for (const set of spec.expectedSets ?? []) {
      seen[set.name] = [];
      const left = new Set(set.items.map((i) => i.name));
      missing[set.name] = left;
      disposables.push(
        session.watch(set.items.map((i) => ({ name: i.name, pattern: i.pattern })), (_hit, name) => {
          if (left.delete(name)) seen[set.name]!.push(name);
        }, { from: origin }),
      );
    }

    if (options.powerOnTimeoutMs !== undefined && session.position <= origin) {
      // A real board: its first stage's timer starts at its first byte, not when the port opened.
      try {
        await session.cursor(origin).expect(/[\s\S]/, { timeoutMs: options.powerOnTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
      } catch (err) {
        if (err instanceof BoardkitError && err.code === 'E_TIMEOUT') {
          fail({ kind: 'no-output', subject: session.description, message: `nothing was received on ${session.description} within ${options.powerOnTimeoutMs} ms of opening it (is the board powered on, its console wired to this port, and the baud rate right?)` });
        } else classify(err, spec.markers[0]!, options.powerOnTimeoutMs);
      }
    }
    for (const marker of failure ? [] : spec.markers) {
      current = marker.stage;
      if (failure) break;
      const timeoutMs = Math.round(marker.timeoutMs * multiplier);
      try {
        const m = await cursor.expect(marker.pattern, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
        timeline.push({ stage: marker.stage, atMs: since(m.at), line: m.line });
        armFailures(named(spec.failures.filter((f) => f.after === marker.stage)), m.end);
      } catch (err) {
        classify(err, marker, timeoutMs);
        break;
      }
      if (failure) break;
      const incomplete = (spec.expectedSets ?? []).filter((s) => (s.before ?? spec.markers[spec.markers.length - 1]!.stage) === marker.stage && missing[s.name]!.size > 0);
      if (incomplete.length) {
        const list = incomplete.map((s) => `${s.name}: ${[...missing[s.name]!].join(', ')}`).join('; ');
        fail({ kind: 'expected-missing', subject: list, message: `stage '${marker.stage}' was reached without ${list}` });
        break;
      }
    }
    if (!failure) await untilEnd();
  } finally {
    for (const d of disposables) d.dispose();
  }

  /**
   * After the last marker the run is not over: a started report runs to its `result=` line, a
   * spec's final line is awaited, then a settle window follows. Failure patterns stay armed
   * throughout (a fault, a panic or a `status=fail` after the last marker fails the boot).
   */
  async function untilEnd(): Promise<void> {
    const last = spec.markers[spec.markers.length - 1]!;
    const finals: BootMarker[] = [];
    const endTimeout = spec.end?.timeoutMs ?? 30_000;
    if (spec.end?.pattern !== undefined) finals.push({ stage: 'end', pattern: spec.end.pattern, timeoutMs: endTimeout });
    if (prefix) {
      // Whole lines from the origin: a report began (stage=payload) and has not ended yet (result=).
      const head = `(?:^|[\\s\\]>:])${literalPattern(prefix)}[ \\t](?:[^\\n]{0,512}[ \\t])?`;
      const text = session.textBetween(origin);
      resultLine = new RegExp(`${head}stage=payload(?=\\s|$)`, 'm').test(text);
      if (resultLine && new RegExp(`${head}result=`, 'm').test(text.slice(0, Math.max(0, cursor.position - origin)))) resultLine = false;
    }
    if (resultLine) finals.push({ stage: 'result', pattern: `${literalPattern(prefix)}[ \\t](?:[^\\n]{0,512}[ \\t])?result=`, timeoutMs: Math.max(endTimeout, last.timeoutMs) });
    for (const f of finals) {
      if (failure) return;
      current = f.stage;
      const timeoutMs = Math.round(f.timeoutMs * multiplier);
      try {
        const m = await cursor.expect(f.pattern, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
        if (f.stage === 'end') timeline.push({ stage: 'end', atMs: since(m.at), line: m.line });
      } catch (err) {
        classify(err, f, timeoutMs);
        return;
      }
    }
    if (settleMs > 0 && !failure) {
      current = finals.length ? finals[finals.length - 1]!.stage : last.stage;
      try {
        await cursor.expect(NEVER, { timeoutMs: settleMs, ...(options.signal ? { signal: options.signal } : {}) });
      } catch (err) {
        if (!(err instanceof BoardkitError && err.code === 'E_TIMEOUT')) classify(err, { stage: current, pattern: NEVER, timeoutMs: settleMs }, settleMs);
      }
    }
  }

  function classify(err: unknown, marker: BootMarker, timeoutMs: number): void {
    if (failure) return;
    const e = err instanceof BoardkitError ? err : undefined;
    const reason: unknown = options.signal?.aborted ? options.signal.reason : undefined;
    if (reason instanceof Error && reason.name === 'TimeoutError') {
      fail({ kind: 'run-timeout', subject: marker.stage, message: `the run's time limit ran out after ${since(clock.now())} ms while waiting for ${describeWait(marker)}` });
    } else if (e?.code === 'E_TIMEOUT') {
      fail({ kind: 'marker-timeout', subject: String(marker.pattern), message: `stage '${marker.stage}' not reached: /${String(marker.pattern instanceof RegExp ? marker.pattern.source : marker.pattern)}/ not seen within ${timeoutMs} ms` });
    } else if (e?.code === 'E_LINK_LOST') {
      fail({ kind: 'link-lost', subject: session.description, message: e.message });
    } else if (e?.code === 'E_CONSOLE_FAILURE') {
      const f = session.failure;
      const kind = (f && reportKinds.get(f.name)) ?? 'failure-pattern';
      const when = marker.pattern === NEVER ? `after the last stage '${marker.stage}' (settle window)` : `while waiting for stage '${marker.stage}'`;
      const line = f?.line.trim() ?? '';
      const message =
        kind === 'fault'
          ? `the payload reported a fault ${when}: ${line}`
          : kind === 'report-fail'
            ? `the payload reported a failure ${when}: ${line}`
            : `failure pattern '${f?.name}' seen ${when}: ${line}`;
      fail({ kind, subject: kind === 'failure-pattern' ? (f?.name ?? 'failure') : line, message, ...(f ? { line: f.line, at: f.at } : {}) });
    } else {
      const why = err instanceof Error ? err.message : String(err);
      fail({ kind: 'aborted', subject: marker.stage, message: `stopped (${why}) after ${since(clock.now())} ms while waiting for ${describeWait(marker)}` });
    }
  }

  function describeWait(marker: BootMarker): string {
    if (marker.pattern === NEVER) return `the console to stay clean for ${settleMs} ms after stage '${marker.stage}'`;
    const src = marker.pattern instanceof RegExp ? marker.pattern.source : String(marker.pattern);
    return `stage '${marker.stage}' (/${src}/)`;
  }

  const missingOut: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(missing)) missingOut[k] = [...v];
  return {
    ok: !failure,
    ...(failure ? { failure } : {}),
    timeline,
    reports,
    seen,
    missing: missingOut,
    tail: session.tail(options.tailLines ?? 30),
    durationMs: since(clock.now()),
    received: session.position > origin,
    end: { resultLine, ...(spec.end?.pattern !== undefined ? { pattern: String(spec.end.pattern instanceof RegExp ? spec.end.pattern.source : spec.end.pattern) } : {}), settleMs },
  };
}
