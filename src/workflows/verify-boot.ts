import { hardwareStages, resolveBoard, verificationPlan, type BoardRef } from '../boards/plan.js';
import { noProgress, type ProgressSink } from '../core/progress.js';
import { verifyBoot, type BootResult, type BootSpec } from '../console/boot-verifier.js';
import { ConsoleSession } from '../console/console-session.js';
import { openTimestampedLogFile, type ConsoleLogFile } from '../console/log-files.js';
import type { SerialLink, SerialLinkOptions } from '../transports/serial-link.js';
import { checkOutputFile } from './output-paths.js';

export interface VerifyBootRequest {
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
}

export interface VerifyBootReport {
  ok: boolean;
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
  });
  if (request.logFile) await checkOutputFile(request.logFile, 'console log');
  const signals = [options.signal, request.timeoutMs !== undefined ? AbortSignal.timeout(request.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
  const link = await openLink(request.port, { baudRate: request.baud ?? profile.console.baud });
  let log: ConsoleLogFile | undefined;
  try {
    const session = ConsoleSession.attach(link);
    if (request.logFile) {
      log = openTimestampedLogFile(request.logFile, { name: profile.id });
      session.subscribe(log);
    }
    progress({ source: 'verify-boot', type: 'start', message: `listening on ${request.port}; expecting ${stages.join(' -> ')} (power the board on now)` });
    const boot = await verifyBoot(session, spec, { signal: AbortSignal.any(signals), timeoutMultiplier: request.timeoutMultiplier ?? 1, powerOnTimeoutMs: request.powerOnTimeoutMs ?? 60_000 });
    return { ok: boot.ok, board: profile.id, port: request.port, stages, boot };
  } finally {
    await link.close().catch(() => {});
    await log?.close().catch(() => {});
  }
}
