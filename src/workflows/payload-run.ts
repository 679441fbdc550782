import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { checkEmulatedNetboot, resolveBoard, type BoardRef, type VerificationPlan } from '../boards/plan.js';
import type { BoardProfile, DriverKind } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
import type { ProgressSink } from '../core/progress.js';
import { checkPayloadBoard, describePayload, payloadFile } from '../payload/payload-dir.js';
import { newNonce, patchConfigBlock } from '../payload/config-block.js';
import { checkStorageReport, createFixtureDisk, randomDiskSignature } from '../payload/disk-signature.js';
import { comparePattern } from '../payload/fb-pattern.js';
import { payloadSpecFor } from '../payload/from-profile.js';
import { checkReportNonce, nonceHex, parseBootReport } from '../payload/report.js';
import type { PayloadBuildSpec } from '../payload/spec.js';
import { checkEthernetFrames } from '../payload/udp-report.js';
import { runBoard, type RunEnvironment, type RunReport } from './run-board.js';
import { ORACLES_NOT_RUN } from './verdict.js';
import { encodePpm } from '../core/ppm.js';
import { runNetboot, type NetbootEnvironment, type NetbootReport } from './netboot-run.js';
import { stageEspDir } from './esp-dir.js';
import { checkOutputFile } from './output-paths.js';
import { gpioOracleRun, refuseTestOnlyPayload, type GpioOracleOptions } from './payload-oracles.js';

/** The NIC address QEMU gives the first virtio-net device; the payload reports from it. */
const GUEST_MAC = '52:54:00:12:34:56';
const REPORT_PORT = 40001;

export interface PayloadRunRequest {
  board: string;
  /** The payload: its ELF, flat binary, or EFI file, or the directory `payload build` wrote. */
  kernel: string;
  /** Driver set to verify (default: what the payload was built with, from payload.json). */
  drivers?: readonly DriverKind[];
  netboot?: boolean;
  windowsize?: number;
  tftpTimeoutMs?: number;
  /** U-Boot `tftpblocksize` for the netbooted payload. */
  tftpBlksize?: number;
  /** Loss injected on the netboot link (tests). */
  netLoss?: number;
  timeoutMs?: number;
  logFile?: string;
  /** Where the console log and the screendump are kept (must exist). */
  runDir?: string;
  gdbPort?: number;
  /** Patch this nonce instead of a fresh one (tests of the stale-nonce check). */
  nonce?: Uint8Array;
  /** The nonce the host expects in the report (default: the one it patched). */
  expectNonce?: Uint8Array;
  /**
   * TESTS ONLY: accept a payload built with a test-only switch (fake-ok, skip-gpio), which is
   * otherwise refused with a usage error: its report is a lie by design.
   */
  allowTestOnlyBuild?: boolean;
  /** Tests: fix the GPIO oracle's per-run secret (edge count, SD route) instead of a random one. */
  gpioOracle?: GpioOracleOptions;
}

export interface OracleVerdict {
  driver: DriverKind | 'report';
  oracle: string;
  ok: boolean;
  detail: string;
}

export interface PayloadRunReport extends RunReport {
  nonce: string;
  drivers: DriverKind[];
  oracles: OracleVerdict[];
  /** The boot passed on the console AND every host-side oracle agrees. */
  ok: boolean;
  consoleOk: boolean;
  /** Netboot runs: the server address, files served and per-transfer TFTP stats. */
  netboot?: NetbootReport['netboot'];
}

function kindsOf(spec: PayloadBuildSpec | undefined, requested: readonly DriverKind[] | undefined): DriverKind[] {
  if (requested) return [...requested];
  return spec ? spec.drivers.map((d) => d.kind) : ['uart'];
}

/**
 * Boots the reference payload on an emulated board and passes only when the payload's report is
 * complete (one `driver=X status=ok` per driver of the set, `result=pass`, this run's nonce) AND
 * every host-side oracle agrees: storage (a random disk signature the host wrote), Ethernet (the
 * nonce in a broadcast UDP frame on the link), framebuffer (a screendump matching the nonce
 * pattern), GPIO (an effect the host causes or observes, as the profile says).
 */
export async function runPayload(
  board: BoardRef,
  request: PayloadRunRequest,
  env: NetbootEnvironment,
  options: { progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<PayloadRunReport> {
  const profile = resolveBoard(board, request.board);
  const netboot = request.netboot ?? false;
  if (netboot) checkEmulatedNetboot(profile);
  if (request.logFile) await checkOutputFile(request.logFile, 'console log');
  const described = await describePayload(request.kernel);
  checkPayloadBoard(described, profile);
  // Flat images where a loader expects them: U-Boot netboot (wrapped for bootm), and firmware that loads kernel8.img.
  const located = { ...payloadFile(described, netboot || profile.bootProtocol === 'rpi-firmware' ? 'flat' : 'elf'), ...(described.manifest ? { manifest: described.manifest } : {}) };
  const kinds = kindsOf(located.manifest?.spec, request.drivers);
  // Validates the set against the board (unsupported drivers are a usage error naming why).
  const spec = payloadSpecFor(profile, kinds);
  const gpio = spec.drivers.find((d) => d.kind === 'gpio');
  const gpioRun = gpio ? gpioOracleRun(profile, gpio, request.gpioOracle) : undefined;
  const fb = spec.drivers.find((d) => d.kind === 'framebuffer');

  const work = await mkdtemp(join(tmpdir(), 'boardkit-payload-run-'));
  try {
    const nonce = request.nonce ?? newNonce();
    const expectNonce = request.expectNonce ?? nonce;
    const image0 = new Uint8Array(await readFile(located.file));
    refuseTestOnlyPayload(image0, located.file, request.allowTestOnlyBuild);
    const patched = patchConfigBlock(image0, {
      nonce,
      mac: GUEST_MAC,
      ip: '192.0.2.15',
      peerIp: '255.255.255.255',
      srcPort: REPORT_PORT - 1,
      peerPort: REPORT_PORT,
      ...gpioRun?.config,
    });

    let kernel: string | undefined = join(work, basename(located.file));
    let fatDir: string | undefined;
    // An EFI payload is BOOTX64.EFI on a FAT disk, except in netboot, where PXE serves the file itself.
    if (located.kind === 'efi' && !netboot) {
      fatDir = await stageEspDir(join(work, 'esp'), patched);
      kernel = undefined;
    } else await writeFile(kernel, patched);

    let image: string | undefined;
    let signature: number | undefined;
    if (kinds.includes('storage')) {
      signature = randomDiskSignature();
      image = join(work, 'disk.img');
      await createFixtureDisk(env.spawner, image, 1 << 20, signature);
    }

    const frames: Uint8Array[] = [];
    const expectedSets: VerificationPlan['expectedSets'] = [
      { name: 'drivers', items: kinds.map((k) => ({ name: k, pattern: `BOARDKIT driver=${k} status=ok` })), before: 'result' },
    ];
    let consoleText = '';
    let screen: { width: number; height: number; data: Uint8Array } | undefined;
    let gpioError: unknown;
    const whileRunning: Parameters<typeof runBoard>[1]['whileRunning'] = async ({ vm, console: session, signal }) => {
      const limit = { signal, timeoutMs: 120_000 * vm.timeoutMultiplier };
      const cursor = session.cursor('start');
      const gpioCtx = { vm, session, signal, timeoutMs: limit.timeoutMs };
      try {
        // GPIO host actions (see payload-oracles.ts): edges while the payload waits, register
        // reads over the monitor; an error there is evidence missing, which the check reports.
        await gpioRun?.beforeResult?.(gpioCtx).catch((err: unknown) => (gpioError = err));
        if (signal.aborted) return;
        await cursor.expect(/BOARDKIT result=/, limit).catch(() => undefined);
        if (signal.aborted) return;
        if (fb) {
          const img = await vm.screendump().catch(() => undefined);
          if (img) screen = { width: img.width, height: img.height, data: img.rgb };
        }
        await gpioRun?.afterResult?.(gpioCtx).catch((err: unknown) => (gpioError = err));
      } finally {
        consoleText = session.textBetween(0);
      }
    };

    const common = {
      board: profile.id,
      expectedSets,
      extraMarkers: [{ stage: 'result', pattern: 'BOARDKIT result=', timeoutMs: 30_000 }],
      // The reset-event oracle resets the SoC right after the report by design: that reset is the
      // oracle's evidence (checked by it), so no settle window follows the result= line.
      ...(gpioRun?.name === 'reset-event' ? { settleMs: 0 } : {}),
      whileRunning,
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      ...(request.logFile ? { logFile: request.logFile } : {}),
      ...(request.runDir ? { runDir: request.runDir } : {}),
      ...(request.gdbPort !== undefined ? { gdbPort: request.gdbPort } : {}),
      drivers: kinds,
    };
    let run: RunReport;
    if (netboot) {
      run = await runNetboot(
        profile,
        {
          ...common,
          kernel: kernel!,
          payloadBytes: patched,
          ...(image ? { image } : {}),
          ...(request.windowsize !== undefined ? { windowsize: request.windowsize } : {}),
          ...(request.tftpTimeoutMs !== undefined ? { tftpTimeoutMs: request.tftpTimeoutMs } : {}),
          ...(request.tftpBlksize !== undefined ? { tftpBlksize: request.tftpBlksize } : {}),
          ...(request.netLoss ? { netLoss: request.netLoss } : {}),
          onFrame: (f: Uint8Array) => frames.push(f),
        },
        env,
        options,
      );
    } else {
      const link = kinds.includes('ethernet') ? await env.openQemuFrameLink() : undefined;
      link?.onFrame((f) => frames.push(f.slice()));
      try {
        run = await runBoard(
          profile,
          {
            ...common,
            mode: 'kernel',
            ...(kernel ? { kernel } : {}),
            ...(image ? { image } : {}),
            ...(fatDir ? { fatDir } : {}),
            ...(link ? { netdev: { id: 'n0', kind: 'dgram' as const, local: { host: '127.0.0.1', port: link.guestPort }, remote: { host: '127.0.0.1', port: link.hostPort } } } : {}),
          },
          env as RunEnvironment,
          options,
        );
      } finally {
        await link?.close();
      }
    }

    const report = parseBootReport(consoleText || run.boot.tail.join('\n'));
    const oracles: OracleVerdict[] = [];
    const check = (driver: OracleVerdict['driver'], oracle: string, fn: () => string) => {
      try {
        oracles.push({ driver, oracle, ok: true, detail: fn() });
      } catch (err) {
        oracles.push({ driver, oracle, ok: false, detail: err instanceof Error ? err.message : String(err) });
      }
    };
    check('report', 'nonce', () => {
      checkReportNonce(report, expectNonce);
      return `report carries this run's nonce ${nonceHex(expectNonce)}`;
    });
    if (signature !== undefined)
      check('storage', 'disk-signature', () => {
        checkStorageReport(report, signature!);
        return `payload read the signature 0x${signature!.toString(16).padStart(8, '0')} the host wrote`;
      });
    if (kinds.includes('ethernet'))
      check('ethernet', 'udp-broadcast', () => {
        const f = checkEthernetFrames(frames, { nonce: nonceHex(nonce), board: profile.id, mac: GUEST_MAC, peerPort: REPORT_PORT });
        return `broadcast UDP frame from ${f.srcMac} carried the nonce (${frames.length} frame(s) seen)`;
      });
    if (fb)
      check('framebuffer', 'screendump-pattern', () => {
        if (!screen) throw new Error('no screendump (no display surface: the framebuffer was never set up)');
        const want = { width: fb.width ?? 640, height: fb.height ?? 480 };
        if (screen.width !== want.width || screen.height !== want.height) throw new Error(`screen is ${screen.width}x${screen.height}, expected ${want.width}x${want.height}`);
        const r = comparePattern(screen, nonce);
        if (r.mismatches.length) throw new Error(`pattern mismatch at ${r.mismatches.length}/${r.total} sample points`);
        return `screendump matches the nonce pattern at ${r.matched}/${r.total} sample points`;
      });
    if (gpioRun)
      check('gpio', gpioRun.name, () => {
        if (gpioRun.name === 'sd-route') {
          if (signature === undefined) throw new Error('the sd-route oracle needs the storage driver in the set');
          checkStorageReport(report, signature);
        }
        try {
          return gpioRun.check(consoleText, nonce);
        } catch (err) {
          // Say why evidence is missing when the host could not collect it (QMP/HMP failure).
          if (gpioError !== undefined) throw new Error(`${err instanceof Error ? err.message : String(err)} (host side: ${gpioError instanceof Error ? gpioError.message : String(gpioError)})`);
          throw err;
        }
      });
    const consoleOk = run.ok;
    if (screen && request.runDir) await writeFile(join(request.runDir, 'screendump.ppm'), encodePpm({ width: screen.width, height: screen.height, rgb: screen.data }));
    const checks = [
      ...run.checks.filter((c) => c !== ORACLES_NOT_RUN),
      ...oracles.map((o) => ({ name: `${o.driver} oracle (${o.oracle})`, status: o.ok ? ('passed' as const) : ('failed' as const), detail: o.detail })),
    ];
    return { ...run, checks, nonce: nonceHex(nonce), drivers: kinds, oracles, consoleOk, ok: consoleOk && oracles.every((o) => o.ok) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
