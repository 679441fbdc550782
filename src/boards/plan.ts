import { BoardkitError, UsageError } from '../core/errors.js';
import { BoardRegistry } from './registry.js';
import { DRIVER_KINDS, type BoardProfile, type EmulationMode, type EmulationModeSpec } from './schema.js';

/**
 * One derivation of what a board's profile means for a run: which emulation recipe applies, which
 * firmware artefacts it needs, which stages the console must show and what fails the boot, and how
 * the board netboots. Every room (emulator, netboot, workflows, and the image, flash and HIL rooms
 * to come) takes these facts from here instead of working them out again. Pure: profile data in,
 * plain values out; no board is named.
 */

/** A board as callers hold it: a registry plus the id in the request, or the resolved profile. */
export type BoardRef = BoardRegistry | BoardProfile;

/** The profile a `BoardRef` stands for: a registry is looked up by `id` (once per command). */
export function resolveBoard(ref: BoardRef, id: string): BoardProfile {
  return ref instanceof BoardRegistry ? ref.get(id).profile : ref;
}

export class EmulationUnavailableError extends BoardkitError {
  constructor(message: string, hint: string) {
    super('E_NO_EMULATION', 'usage', message, { hint });
  }
}

/** The profile's emulation recipe, or a usage error saying that no QEMU machine models the board. */
export function requireEmulation(profile: BoardProfile): NonNullable<BoardProfile['emulation']> {
  if (!profile.emulation) {
    throw new EmulationUnavailableError(`board '${profile.id}' cannot be emulated: its profile has no emulation recipe (no QEMU machine models it)`, 'use verify-boot against the real board\'s serial port, or pick an emulated board (`boardkit boards list` shows the QEMU column)');
  }
  return profile.emulation;
}

/** The profile's recipe for a mode, or a usage error naming the modes it has. */
export function emulationMode(profile: BoardProfile, mode: EmulationMode): EmulationModeSpec {
  const emu = requireEmulation(profile);
  const spec = emu.modes[mode];
  if (!spec) {
    const have = Object.entries(emu.modes).filter(([, v]) => v).map(([k]) => k);
    throw new EmulationUnavailableError(`board '${profile.id}' cannot be emulated in mode '${mode}'`, `modes this board has: ${have.join(', ')}`);
  }
  return spec;
}

/** The firmware artefact ids a mode boots with (bios, kernel, pflash, a writable VARS copy). */
export function artifactIdsForMode(profile: BoardProfile, mode: EmulationMode): string[] {
  const spec = emulationMode(profile, mode);
  const ids = new Set<string>([
    ...(spec.bios && spec.bios !== 'none' && spec.bios !== '@payload' ? [spec.bios] : []),
    ...(spec.kernel && spec.kernel !== '@payload' ? [spec.kernel] : []),
    ...(spec.pflash ?? []),
    ...(profile.emulation?.quirks ?? []).flatMap((q) => (q.kind === 'writable-vars-copy' ? [q.artifact] : [])),
  ]);
  return [...ids];
}

export interface StageMarker {
  stage: string;
  pattern: string;
  /** For real hardware; a multiplier applies under emulation. */
  timeoutMs: number;
}

export interface FailurePlan {
  name: string;
  pattern: string;
  after?: string;
}

/** What the console must show and what fails the boot: the shape `console/verifyBoot` takes. */
export interface VerificationPlan {
  markers: StageMarker[];
  failures: FailurePlan[];
  reportPrefix: string;
  expectedSets?: Array<{ name: string; items: Array<{ name: string; pattern: string }>; before?: string }>;
  end: { settleMs: number; pattern?: string; timeoutMs?: number };
}

/**
 * Built-in expectation sets: what a known payload prints once it runs. The profile's `payload`
 * marker is the reference payload's own report line, so it stands for `boardkit-report`; any other
 * payload says what it prints with `--expect` or one of these.
 */
export const EXPECT_SETS: Readonly<Record<string, { description: string; markers: ReadonlyArray<{ name: string; pattern: string }> }>> = {
  'boardkit-report': {
    description: "boardkit's reference payload: its report starts and ends in result=pass",
    markers: [
      { name: 'payload', pattern: 'BOARDKIT stage=payload' },
      { name: 'result', pattern: 'BOARDKIT result=pass' },
    ],
  },
  linux: {
    description: 'a Linux kernel: its version banner',
    markers: [{ name: 'linux', pattern: 'Linux version \\d{1,2}\\.\\d{1,3}' }],
  },
  none: {
    description: 'nothing is expected from the payload: the firmware stages alone are verified',
    markers: [],
  },
};

/** What the run (not the profile) says the payload prints. */
export interface RunExpectations {
  /** Ordered lines (bounded regexes) the payload must print, after the firmware stages. */
  expect?: readonly string[];
  /** Lines that fail the run whenever they appear. */
  fail?: readonly string[];
  /** A built-in expectation set (EXPECT_SETS), before any `expect` lines. */
  expectSet?: string;
  /** How long each expected line may take (default: the profile's payload marker timeout). */
  expectTimeoutMs?: number;
}

/** The boot-chain stages that belong to the payload (their markers are the payload's own lines). */
export function payloadStages(profile: BoardProfile): Set<string> {
  return new Set(profile.bootChain.filter((s) => s.kind === 'payload').map((s) => s.stage));
}

/**
 * Stage markers with the payload's replaced by the run's expectations, and the run's failure
 * patterns. Without expectations the profile's payload marker (the reference payload's report
 * line) stays.
 */
export function applyExpectations(profile: BoardProfile, markers: readonly StageMarker[], failures: readonly FailurePlan[], run: RunExpectations): { markers: StageMarker[]; failures: FailurePlan[] } {
  const own = payloadStages(profile);
  const firstPayload = markers.find((m) => own.has(m.stage));
  const replaced = run.expect?.length || run.expectSet !== undefined;
  if (run.expectSet !== undefined && !EXPECT_SETS[run.expectSet]) {
    throw new UsageError(`--expect-set '${run.expectSet}' is not a known expectation set`, { hint: `known sets: ${Object.keys(EXPECT_SETS).join(', ')}; or say what the payload prints with --expect REGEX` });
  }
  const timeoutMs = run.expectTimeoutMs ?? firstPayload?.timeoutMs ?? 30_000;
  const expected: StageMarker[] = replaced
    ? [
        ...(run.expectSet !== undefined ? EXPECT_SETS[run.expectSet]!.markers.map((m) => ({ stage: m.name, pattern: m.pattern, timeoutMs })) : []),
        ...(run.expect ?? []).map((pattern, i) => ({ stage: `expect-${i + 1}`, pattern, timeoutMs })),
      ]
    : [];
  const kept = replaced ? markers.filter((m) => !own.has(m.stage)) : [...markers];
  const names = new Set(kept.map((m) => m.stage));
  for (const m of expected) {
    if (names.has(m.stage)) throw new UsageError(`expectation '${m.stage}' has the name of a firmware stage of '${profile.id}'`);
    names.add(m.stage);
  }
  return {
    markers: [...kept, ...expected],
    // A failure armed after a payload stage that the run replaced arms after the first of the run's own lines instead.
    failures: [
      ...failures.map((f) => (f.after && !names.has(f.after) && expected[0] ? { ...f, after: expected[0].stage } : f)).filter((f) => !f.after || names.has(f.after)),
      ...(run.fail ?? []).map((pattern, i) => ({ name: `fail-${i + 1}`, pattern })),
    ],
  };
}

export interface VerificationExtras extends RunExpectations {
  /** Stages after the profile's own (e.g. the reference payload's `result=` line). */
  extraMarkers?: readonly StageMarker[];
  expectedSets?: VerificationPlan['expectedSets'];
  /** A final line the run waits for after the last marker (e.g. `--until REGEX`). */
  endPattern?: string;
  /** Overrides the profile's settle window after the end (ms). */
  settleMs?: number;
}

function markerFor(profile: BoardProfile, stage: string): StageMarker {
  const m = profile.verify.markers.find((x) => x.stage === stage);
  if (!m) throw new UsageError(`board '${profile.id}' has no marker for stage '${stage}'`, { hint: `stages with markers: ${profile.verify.markers.map((x) => x.stage).join(', ')}` });
  return { stage, pattern: m.pattern, timeoutMs: m.timeoutMs };
}

/** The boot stages a mode expects, in order, with their markers from the profile. */
export function markersForMode(profile: BoardProfile, mode: EmulationMode): StageMarker[] {
  return emulationMode(profile, mode).markers.map((stage) => markerFor(profile, stage));
}

/** The stages a real board shows on its console: boot-chain order, those with markers. */
export function hardwareStages(profile: BoardProfile): string[] {
  const withMarkers = new Set(profile.verify.markers.map((m) => m.stage));
  return profile.bootChain.map((s) => s.stage).filter((s) => withMarkers.has(s));
}

/** Markers for the given stages, the profile's failure patterns that can arm among them, the end condition. */
export function verificationPlan(profile: BoardProfile, stages: readonly string[], extras: VerificationExtras = {}): VerificationPlan {
  const own = applyExpectations(
    profile,
    stages.map((s) => markerFor(profile, s)),
    profile.verify.failures.map((f) => ({ name: f.name, pattern: f.pattern, ...(f.after ? { after: f.after } : {}) })),
    extras,
  );
  const markers = [...own.markers, ...(extras.extraMarkers ?? [])];
  const names = new Set(markers.map((m) => m.stage));
  const failures = own.failures.filter((f) => f.after === undefined || names.has(f.after));
  return {
    markers,
    failures,
    reportPrefix: profile.verify.reportPrefix,
    ...(extras.expectedSets ? { expectedSets: extras.expectedSets } : {}),
    end: { settleMs: extras.settleMs ?? profile.verify.settleMs, ...(extras.endPattern !== undefined ? { pattern: extras.endPattern } : {}) },
  };
}

export type NetbootFlow = 'uboot-script' | 'pxe' | 'rpi-firmware';

/** The flow a profile's netboot section describes, or a usage error saying why none fits. */
export function netbootFlow(profile: BoardProfile): NetbootFlow {
  const nb = profile.netboot;
  if (!nb) throw new UsageError(`board '${profile.id}' has no netboot section`, { hint: 'boards with netboot: `boardkit boards list --json` (netboot field)' });
  const vc = nb.vendorClass ?? '';
  if (profile.bootProtocol === 'rpi-firmware') return 'rpi-firmware';
  if (vc.startsWith('U-Boot')) return 'uboot-script';
  if (vc.startsWith('PXEClient') && nb.protocols.includes('pxe')) return 'pxe';
  throw new UsageError(`board '${profile.id}' netboots through '${nb.bootFile}' (vendor class ${vc || 'unset'}), a firmware chain boardkit cannot generate yet`, {
    hint: 'serve the firmware files yourself: `boardkit netboot serve --root DIR`',
  });
}

/** Whether an emulated firmware chain can netboot this board, or a usage error saying why not. */
export function checkEmulatedNetboot(profile: BoardProfile): NetbootFlow {
  const flow = netbootFlow(profile);
  if (flow === 'rpi-firmware' || !profile.emulation?.modes.netboot) {
    throw new UsageError(`board '${profile.id}' cannot be netbooted under emulation (no emulated firmware chain fetches its boot files)`, {
      hint: `serve a real board instead: boardkit netboot serve --board ${profile.id} --payload DIR --interface IF`,
    });
  }
  return flow;
}

/** Everything an emulated run of one mode needs from the profile. */
export interface EmulatedBootPlan {
  profile: BoardProfile;
  mode: EmulationMode;
  emulation: EmulationModeSpec;
  artifactIds: string[];
  verification: VerificationPlan;
}

export function planEmulatedBoot(profile: BoardProfile, mode: EmulationMode, extras: VerificationExtras = {}): EmulatedBootPlan {
  const emulation = emulationMode(profile, mode);
  return {
    profile,
    mode,
    emulation,
    artifactIds: artifactIdsForMode(profile, mode),
    verification: verificationPlan(profile, emulation.markers, extras),
  };
}

/** What image assembly needs from a profile: the layout it names and how its boot chain loads a payload. */
export interface ImageFacts {
  layout: string;
  arch: BoardProfile['arch'];
  bootProtocol: BoardProfile['bootProtocol'];
  /** Where a flat payload is linked and must be loaded (absent for UEFI applications). */
  loadAddress: number | undefined;
  /** Artefact ids of the boot chain's firmware stages (files a firmware-booted board reads from its boot partition). */
  firmwareArtifacts: string[];
  /** Artefact ids of each boot-chain stage kind (`spl`, `sbi`, …): raw blobs a layout places outside any filesystem. */
  stageArtifacts: Record<string, string[]>;
  /** Raspberry Pi firmware boot: the kernel file config.txt names and the config.txt text. */
  rpi?: { kernel: string; configTxt: string; uartNeeds: string[] };
}

export function imageFacts(profile: BoardProfile): ImageFacts {
  return {
    layout: profile.storage.layout,
    arch: profile.arch,
    bootProtocol: profile.bootProtocol,
    loadAddress: profile.memory.loadAddress,
    firmwareArtifacts: profile.bootChain.filter((s) => s.kind === 'firmware').flatMap((s) => s.artifacts ?? []),
    stageArtifacts: profile.bootChain.reduce<Record<string, string[]>>((m, s) => ({ ...m, [s.kind]: [...(m[s.kind] ?? []), ...(s.artifacts ?? [])] }), {}),
    ...(profile.bootProtocol === 'rpi-firmware'
      ? { rpi: { kernel: rpiKernelName(profile), configTxt: rpiConfigTxt(profile), uartNeeds: profile.drivers.uart.controllers?.find((c) => c.name === profile.console.uart)?.firmwareConfig ?? [] } }
      : {}),
  };
}

/** The kernel file the firmware loads: config.txt's `kernel=`, else the 64-bit default. */
export function rpiKernelName(profile: BoardProfile): string {
  const line = profile.firmwareConfig?.entries.find((e) => e.startsWith('kernel='));
  return line ? line.slice('kernel='.length) : 'kernel8.img';
}

/** config.txt: the profile's entries, then each driver controller's needs, once each, in order. */
export function rpiConfigTxt(profile: BoardProfile): string {
  const lines = [...(profile.firmwareConfig?.entries ?? [])];
  for (const kind of DRIVER_KINDS) {
    const controllers = profile.drivers[kind].controllers ?? [];
    // The console UART's needs apply; other UARTs' options (e.g. disable-bt) change the console, so they are left out.
    const used = kind === 'uart' ? controllers.filter((c) => c.name === profile.console.uart) : controllers.slice(0, 1);
    for (const c of used) for (const l of c.firmwareConfig ?? []) if (!lines.includes(l)) lines.push(l);
  }
  return `# generated by boardkit for ${profile.id}\n${lines.join('\n')}\n`;
}
