import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planEmulatedBoot, resolveBoard, type BoardRef, type RunExpectations, type VerificationPlan } from '../boards/plan.js';
import type { BoardProfile, DriverKind, EmulationMode } from '../boards/schema.js';
import { resolveArtifact } from '../artifacts/resolve-artifact.js';
import { loadManifests, type ManifestSet } from '../artifacts/manifest-loader.js';
import { BoardkitError } from '../core/errors.js';
import { noProgress, type ProgressSink } from '../core/progress.js';
import { checkBootSpec, verifyBoot, type BootResult, type BootSpec } from '../console/boot-verifier.js';
import { ConsoleSession } from '../console/console-session.js';
import { parseReportLine } from '../console/report-line.js';
import { openTimestampedLogFile, type ConsoleLogFile } from '../console/log-files.js';
import { machineFromProfile } from '../emulator/profile-machine.js';
import { startQemu, type RunningQemu } from '../emulator/qemu-runner.js';
import type { QemuNetdevSpec } from '../emulator/qemu-spec.js';
import type { QmpConnector } from '../transports/qmp-link.js';
import type { SerialLink, SerialLinkOptions } from '../transports/serial-link.js';
import type { Spawner } from '../transports/spawner.js';
import { stageEspDir } from './esp-dir.js';
import { consoleChecks, ORACLES_NOT_RUN, type VerdictCheck } from './verdict.js';
import { checkInputFile, checkOutputFile } from './output-paths.js';

/** The host-side edges a run needs, injected by the composition root (cli) or a test. */
export interface RunEnvironment {
  spawner: Spawner;
  connectQmp: QmpConnector;
  openLink: (path: string, options?: SerialLinkOptions) => Promise<SerialLink>;
  cacheDir: string;
  manifestDir: string;
  /** The firmware manifests, when the caller has loaded them already (else read from manifestDir once). */
  manifests?: ManifestSet;
}

export interface RunBoardRequest extends RunExpectations {
  board: string;
  mode: EmulationMode;
  /** The payload/kernel for modes that boot `@payload`. */
  kernel?: string;
  image?: string;
  fatDir?: string;
  drivers?: readonly DriverKind[];
  netdev?: QemuNetdevSpec;
  /** Overall cap for the whole run (ms); the per-stage timeouts of the profile apply inside it. */
  timeoutMs?: number;
  gdbPort?: number;
  /** Timestamped console log written here (default with `runDir`: `<runDir>/console.log`). */
  logFile?: string;
  /** Where this run keeps what a user reads afterwards (console log, screendumps); must exist. */
  runDir?: string;
  /** Extra boot-spec items (e.g. the payload's expected driver reports). */
  expectedSets?: VerificationPlan['expectedSets'];
  /** Stages after the mode's own (e.g. the payload's `result=` line). */
  extraMarkers?: VerificationPlan['markers'];
  /** A final line to wait for after the last marker (failure patterns stay armed until it). */
  until?: string;
  /** Listen this long (ms) after the end with failure patterns armed (default: the profile's verify.settleMs). */
  settleMs?: number;
  /** Called once the machine runs and the console is attached (host-side oracles hook in here). */
  whileRunning?: (ctx: { vm: RunningQemu; console: ConsoleSession; profile: BoardProfile; signal: AbortSignal }) => Promise<void>;
}

export interface RunReport {
  ok: boolean;
  /** Every check the verdict rests on, and those that did not apply. */
  checks: VerdictCheck[];
  /** The console log of this run, when one was written. */
  logFile?: string;
  board: string;
  mode: EmulationMode;
  accel: 'kvm' | 'tcg';
  timeoutMultiplier: number;
  boot: BootResult;
  qemu: { pid: number; binary: string; args: readonly string[]; stderrTail: string };
  durationMs: number;
  /** The stage markers the verification waited for, in order (reports list the ones not reached). */
  expectedStages?: string[];
}

/** QEMU or its console could not be brought up: not the board's fault. */
export class InfrastructureError extends BoardkitError {
  constructor(message: string, options: { cause?: unknown; hint?: string; details?: Record<string, unknown> } = {}) {
    super('E_INFRASTRUCTURE', 'infrastructure', message, options);
  }
}

/**
 * A marker can match before its line has fully arrived; the report shows whole lines, so each
 * timeline, failure and report line (and the tail) is completed from the console text once the
 * run is over.
 */
function completeLines(boot: BootResult, text: string, prefix: string): BootResult {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const complete = (partial: string) => lines.find((l) => l.startsWith(partial.trimEnd()) && l.length >= partial.length) ?? partial;
  return {
    ...boot,
    ...(boot.failure?.line !== undefined ? { failure: { ...boot.failure, line: complete(boot.failure.line) } } : {}),
    tail: boot.tail.length ? lines.filter((l) => l.length > 0).slice(-boot.tail.length) : boot.tail,
    timeline: boot.timeline.map((s) => ({ ...s, line: complete(s.line) })),
    reports: lines.flatMap((l) => {
      const r = parseReportLine(l, prefix);
      return r ? [r] : [];
    }),
  };
}

/** The boot spec of a mode: its stage markers, the profile's failure patterns that can arm in it. */
export function bootSpecFor(profile: BoardProfile, mode: EmulationMode, expectedSets: VerificationPlan['expectedSets'] = [], extraMarkers: VerificationPlan['markers'] = []): BootSpec {
  return planEmulatedBoot(profile, mode, { expectedSets, extraMarkers }).verification;
}

/**
 * Boots an emulated board from its profile and verifies the boot on its console: QEMU starts
 * paused, the console (a pty opened through the same SerialLink as real UARTs) is attached, then
 * the CPUs run. Returns the verification result; throws only for usage and infrastructure faults.
 */
export async function runBoard(
  board: BoardRef,
  request: RunBoardRequest,
  env: RunEnvironment,
  options: { progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<RunReport> {
  const progress = options.progress ?? noProgress;
  const started = performance.now();
  const profile = resolveBoard(board, request.board);
  const plan = planEmulatedBoot(profile, request.mode, {
    ...(request.expectedSets ? { expectedSets: request.expectedSets } : {}),
    ...(request.extraMarkers ? { extraMarkers: request.extraMarkers } : {}),
    ...(request.until !== undefined ? { endPattern: request.until } : {}),
    ...(request.settleMs !== undefined ? { settleMs: request.settleMs } : {}),
    ...(request.expect ? { expect: request.expect } : {}),
    ...(request.fail ? { fail: request.fail } : {}),
    ...(request.expectSet !== undefined ? { expectSet: request.expectSet } : {}),
    ...(request.expectTimeoutMs !== undefined ? { expectTimeoutMs: request.expectTimeoutMs } : {}),
  });
  const spec0: BootSpec = plan.verification;
  checkBootSpec(spec0); // a bad pattern is refused before QEMU starts
  // Inputs and outputs are checked before anything starts (no QEMU, no temp dir to leave behind).
  if (request.kernel) await checkInputFile(request.kernel, 'kernel');
  if (request.image) await checkInputFile(request.image, 'disk image', 'give the path of an existing disk image');
  if (request.fatDir) await checkInputFile(request.fatDir, 'directory');
  const logFile = request.logFile ?? (request.runDir ? join(request.runDir, 'console.log') : undefined);
  if (logFile) await checkOutputFile(logFile, 'console log');

  progress({ source: 'run', type: 'start', message: `resolving firmware for ${profile.id} (${request.mode})` });
  const manifests = env.manifests ?? loadManifests(env.manifestDir);
  const paths = new Map<string, string>();
  const mode = plan.emulation;
  for (const id of plan.artifactIds) paths.set(id, await resolveArtifact(id, { cacheDir: env.cacheDir, manifests }));

  // A firmware that boots from a FAT disk (UEFI) gets the kernel as \EFI\BOOT\BOOTX64.EFI of a directory disk.
  let espDir: string | undefined;
  if (mode.drive === 'fat-dir' && request.kernel && !request.fatDir) {
    espDir = await stageEspDir(await mkdtemp(join(tmpdir(), 'boardkit-esp-')), request.kernel);
  }
  const fatDir = request.fatDir ?? espDir;
  try {
    return await bootAndVerify();
  } finally {
    if (espDir) await rm(espDir, { recursive: true, force: true });
  }

  async function bootAndVerify(): Promise<RunReport> {
  const machine = machineFromProfile(profile, {
    mode: request.mode,
    artifactPath: (id) => paths.get(id)!,
    ...(request.kernel ? { payload: request.kernel } : {}),
    ...(request.image ? { image: request.image } : {}),
    ...(fatDir ? { fatDir } : {}),
    // The whole board whatever the payload: a payload that is not ours still gets the board's
    // display (an x86 kiosk has a screen; a foreign EFI application may need GOP).
    ...(request.drivers ? { drivers: request.drivers } : request.mode !== 'firmware-only' ? { drivers: ['framebuffer' as const] } : {}),
    ...(request.netdev ? { netdev: request.netdev } : {}),
    ...(request.gdbPort !== undefined ? { gdbPort: request.gdbPort } : {}),
  });

  const overall = request.timeoutMs !== undefined ? AbortSignal.timeout(request.timeoutMs) : undefined;
  const signal = AbortSignal.any([options.signal, overall].filter((s): s is AbortSignal => s !== undefined));

  progress({ source: 'run', type: 'progress', message: `starting ${machine.binary} -M ${machine.machine} (paused)` });
  let vm: RunningQemu;
  try {
    vm = await startQemu(machine, { spawner: env.spawner, connectQmp: env.connectQmp, console: 'pty', cacheDir: env.cacheDir, signal, progress });
  } catch (err) {
    if (err instanceof BoardkitError && err.kind !== 'internal') throw err;
    throw new InfrastructureError(`QEMU for '${profile.id}' did not start`, { cause: err, hint: 'run `boardkit doctor` to check the QEMU installation' });
  }
  let link: SerialLink | undefined;
  let log: ConsoleLogFile | undefined;
  try {
    try {
      link = await env.openLink(vm.consolePath, { reconnect: { enabled: false } });
    } catch (err) {
      throw new InfrastructureError(`cannot open the emulated console ${vm.consolePath}`, { cause: err });
    }
    const session = ConsoleSession.attach(link);
    if (logFile) {
      log = openTimestampedLogFile(logFile, { name: profile.id });
      session.subscribe(log);
    }
    progress({ source: 'run', type: 'progress', message: `console attached at ${vm.consolePath}; running (${vm.accel}, timeouts x${vm.timeoutMultiplier})` });
    const verifying = verifyBoot(session, spec0, { signal, timeoutMultiplier: vm.timeoutMultiplier });
    await vm.resume();
    // Host-side oracles run beside verification; a failed boot stops them at once, a passed one
    // gives them a bounded grace to finish (a screendump after the last line, a RESET event).
    const hooks = new AbortController();
    const hookSignal = AbortSignal.any([signal, hooks.signal]);
    const oracles = request.whileRunning?.({ vm, console: session, profile, signal: hookSignal })?.catch((err: unknown) => {
      if (!hookSignal.aborted) throw err;
    });
    const verified = await verifying;
    if (!verified.ok) {
      hooks.abort();
      // The line that failed the boot may still be arriving: let the console go quiet briefly so
      // the report shows it whole (a fault line's address, the panic's reason).
      await session.settle({ quietMs: 150, timeoutMs: 500 * vm.timeoutMultiplier }).catch(() => {});
    }
    const grace = setTimeout(() => hooks.abort(), 15_000 * vm.timeoutMultiplier);
    try {
      if (oracles) await oracles;
    } finally {
      clearTimeout(grace);
    }
    const boot = completeLines(verified, session.textBetween(0), profile.verify.reportPrefix);
    for (const s of boot.timeline) progress({ source: 'run', type: 'stage', message: `${s.stage} at ${s.atMs} ms`, data: { ...s } });
    return {
      ok: boot.ok,
      checks: [...consoleChecks(boot, spec0), ORACLES_NOT_RUN],
      ...(logFile ? { logFile } : {}),
      board: profile.id,
      mode: request.mode,
      accel: vm.accel,
      timeoutMultiplier: vm.timeoutMultiplier,
      boot,
      qemu: { pid: vm.pid, binary: machine.binary, args: vm.args, stderrTail: vm.stderrTail() },
      durationMs: Math.round(performance.now() - started),
      expectedStages: spec0.markers.map((m) => m.stage),
    };
  } finally {
    await link?.close().catch(() => {});
    await log?.close().catch(() => {});
    await vm.shutdown();
  }
  }
}
