import type { BoardRegistry } from '../boards/registry.js';
import type { BoardProfile } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
import { noProgress, type ProgressSink } from '../core/progress.js';
import { verifyBoot, type BootResult, type BootSpec } from '../console/boot-verifier.js';
import { ConsoleSession } from '../console/console-session.js';
import { openTimestampedLogFile, type ConsoleLogFile } from '../console/log-files.js';
import type { SerialLink, SerialLinkOptions } from '../transports/serial-link.js';

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
  logFile?: string;
}

export interface VerifyBootReport {
  ok: boolean;
  board: string;
  port: string;
  stages: string[];
  boot: BootResult;
}

/** The stages a real board shows on its console: boot-chain order, those with markers. */
export function hardwareStages(profile: BoardProfile): string[] {
  const withMarkers = new Set(profile.verify.markers.map((m) => m.stage));
  return profile.bootChain.map((s) => s.stage).filter((s) => withMarkers.has(s));
}

export function hardwareBootSpec(profile: BoardProfile, stages: readonly string[]): BootSpec {
  const markers = stages.map((stage) => {
    const m = profile.verify.markers.find((x) => x.stage === stage);
    if (!m) throw new UsageError(`board '${profile.id}' has no marker for stage '${stage}'`, { hint: `stages with markers: ${profile.verify.markers.map((x) => x.stage).join(', ')}` });
    return { stage, pattern: m.pattern, timeoutMs: m.timeoutMs };
  });
  const failures = profile.verify.failures
    .filter((f) => f.after === undefined || stages.includes(f.after))
    .map((f) => ({ name: f.name, pattern: f.pattern, ...(f.after ? { after: f.after } : {}) }));
  return { markers, failures, reportPrefix: profile.verify.reportPrefix };
}

/**
 * Verifies a boot on any serial console (a real board, a pty, a TCP console): opens the port first
 * (so nothing is lost), then waits for the profile's markers while the user powers the board on.
 */
export async function verifyBootOnPort(
  registry: BoardRegistry,
  request: VerifyBootRequest,
  openLink: (path: string, options?: SerialLinkOptions) => Promise<SerialLink>,
  options: { progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<VerifyBootReport> {
  const progress = options.progress ?? noProgress;
  const profile = registry.get(request.board).profile;
  const stages = request.stages?.length ? [...request.stages] : hardwareStages(profile);
  const spec = hardwareBootSpec(profile, stages);
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
    const boot = await verifyBoot(session, spec, { signal: AbortSignal.any(signals), timeoutMultiplier: request.timeoutMultiplier ?? 1 });
    return { ok: boot.ok, board: profile.id, port: request.port, stages, boot };
  } finally {
    await link.close().catch(() => {});
    await log?.close().catch(() => {});
  }
}
