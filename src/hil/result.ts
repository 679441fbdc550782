/**
 * What a HIL run found, per target: its stages, the test cases a report shows (each stage, each
 * boot marker and expected line, each host-side oracle), the boot timeline, the console log and
 * screendumps. Test failures (the board misbehaved) and errors (power, port, deploy, QEMU: the lab
 * misbehaved) are kept apart all the way to the exit code.
 */
import type { StageTiming } from '../console/boot-verifier.js';

export type CaseStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface HilCase {
  /** e.g. `boot: marker opensbi`, `oracle: storage`, `stage: power`. */
  name: string;
  status: CaseStatus;
  timeMs: number;
  /** Why it failed, was skipped or errored. */
  message?: string;
  /** Longer text (a console excerpt). */
  detail?: string;
}

export type StageStatus = 'passed' | 'failed' | 'error' | 'skipped' | 'interrupted';

export interface HilStageResult {
  kind: string;
  status: StageStatus;
  /** ms from the target's start. */
  startMs: number;
  durationMs: number;
  detail: string;
}

export type TargetStatus = 'passed' | 'failed' | 'error' | 'interrupted' | 'not-run';

export interface HilTargetResult {
  name: string;
  board: string;
  labBoard: string;
  emulated: boolean;
  status: TargetStatus;
  stages: HilStageResult[];
  cases: HilCase[];
  /** The boot's markers, ms since its verification started, plus where the boot stage began. */
  timeline: StageTiming[];
  /** The console log (relative to the report directory), and its last lines. */
  consoleLog?: string;
  consoleExcerpt?: string;
  /** The console line that failed the boot, to highlight. */
  failingLine?: string;
  screendumps: string[];
  /** JUnit properties: board, image sha256, firmware versions, accel. */
  properties: Record<string, string>;
  attempts: number;
  durationMs: number;
  error?: { message: string; hint?: string };
}

export interface HilResult {
  format: 'boardkit-hil-result/1';
  run: string;
  file: string;
  startedAt: string;
  durationMs: number;
  /** The run was stopped (SIGINT/SIGTERM): the results are partial. */
  interrupted: boolean;
  targets: HilTargetResult[];
  ok: boolean;
}

/** The outcome of a whole run: any error beats any failure (the lab must be fixed first). */
export function runOutcome(r: Pick<HilResult, 'interrupted' | 'targets'>): 'passed' | 'failed' | 'error' | 'interrupted' {
  if (r.interrupted) return 'interrupted';
  if (r.targets.some((t) => t.status === 'error')) return 'error';
  if (r.targets.some((t) => t.status !== 'passed')) return 'failed';
  return 'passed';
}
