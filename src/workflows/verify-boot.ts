import { hardwareStages, resolveBoard, verificationPlan, type BoardRef, type RunExpectations } from '../boards/plan.js';
import { noProgress, type ProgressSink } from '../core/progress.js';
import { checkBootSpec, verifyBoot, type BootResult, type BootSpec } from '../console/boot-verifier.js';
import { ConsoleSession } from '../console/console-session.js';
import { openTimestampedLogFile, type ConsoleLogFile } from '../console/log-files.js';
import type { SerialLink, SerialLinkOptions } from '../transports/serial-link.js';
import { checkOutputFile } from './output-paths.js';
import { consoleChecks, ORACLES_NOT_RUN, type VerdictCheck } from './verdict.js';
import { join } from 'node:path';

export interface VerifyBootRequest extends RunExpectations {
  board: string;
  /** Device path, serial:NUMBER or tcp:HOST:PORT. */
  port: string;
  baud?: number;
  /** Stages to expect, in order (default: the boot chain's stages that have markers). */
  stages?: readonly string[];
  timeoutMs?: number;
  /** Multiplies the profile's hardware timeouts (default 1: a real board). */
  timeoutMultiplier?: number;
  /** How long to wait for the first byte (the board being powered on) before the first stage's timer starts. Default 60 s. */
  powerOnTimeoutMs?: number;
  /** A final line to wait for after the last marker (failure patterns stay armed until it). */
  until?: string;
  /** Listen this long (ms) after the end with failure patterns armed (default: the profile's verify.settleMs). */
  settleMs?: number;
  logFile?: string;
  /** Where the console log is kept (`<runDir>/console.log`); must exist. */
  runDir?: string;
}

export interface VerifyBootReport {
  ok: boolean;
  /** Every check the verdict rests on, and those that did not apply. */
  checks: VerdictCheck[];
  logFile?: string;
  board: string;
  port: string;
  stages: string[];
  boot: BootResult;
}

/**
 * Verifies a boot on any serial console (a real board, a pty, a TCP console): opens the port first
 * (so nothing is lost), then waits for the profile's markers while the user powers the board on.
 */
export async function verifyBootOnPort(
  board: BoardRef,
  request: VerifyBootRequest,
  openLink: (path: string, options?: SerialLinkOptions) => Promise<SerialLink>,
  options: { progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<VerifyBootReport> {
  const progress = options.progress ?? noProgress;
  const profile = resolveBoard(board, request.board);
  const stages = request.stages?.length ? [...request.stages] : hardwareStages(profile);
  const spec: BootSpec = verificationPlan(profile, stages, {
    ...(request.until !== undefined ? { endPattern: request.until } : {}),
    ...(request.settleMs !== undefined ? { settleMs: request.settleMs } : {}),
    ...(request.expect ? { expect: request.expect } : {}),
    ...(request.fail ? { fail: request.fail } : {}),
    ...(request.expectSet !== undefined ? { expectSet: request.expectSet } : {}),
  });
  checkBootSpec(spec);
  const logFiles = [request.logFile, request.runDir ? join(request.runDir, 'console.log') : undefined].filter((f): f is string => f !== undefined);
  for (const f of logFiles) await checkOutputFile(f, 'console log');
  const signals = [options.signal, request.timeoutMs !== undefined ? AbortSignal.timeout(request.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
  const link = await openLink(request.port, { baudRate: request.baud ?? profile.console.baud });
  const logs: ConsoleLogFile[] = [];
  try {
    const session = ConsoleSession.attach(link);
    for (const f of logFiles) {
      const log = openTimestampedLogFile(f, { name: profile.id });
      logs.push(log);
      session.subscribe(log);
    }
    progress({ source: 'verify-boot', type: 'start', message: `listening on ${request.port}; expecting ${stages.join(' -> ')} (power the board on now)` });
    const boot = await verifyBoot(session, spec, { signal: AbortSignal.any(signals), timeoutMultiplier: request.timeoutMultiplier ?? 1, powerOnTimeoutMs: request.powerOnTimeoutMs ?? 60_000 });
    return { ok: boot.ok, checks: [...consoleChecks(boot, spec), ORACLES_NOT_RUN], ...(logFiles.length ? { logFile: logFiles[logFiles.length - 1]! } : {}), board: profile.id, port: request.port, stages, boot };
  } finally {
    await link.close().catch(() => {});
    for (const log of logs) await log.close().catch(() => {});
  }
}
