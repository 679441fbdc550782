import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkEmulatedNetboot, resolveBoard, type BoardRef } from '../boards/plan.js';
import type { ProgressSink } from '../core/progress.js';
import { boardBootFiles } from '../netboot/board-boot-files.js';
import { staticFiles } from '../netboot/generated-files.js';
import { LabNetwork, labProgress, type LabEvent } from '../netboot/lab-network.js';
import { checkUbootTftpSettings } from '../netboot/uboot-script.js';
import { withFrameLoss } from '../transports/frame-loss.js';
import type { FrameLink } from '../transports/frame-link.js';
import { checkInputFile, checkOutputFile } from './output-paths.js';
import { runBoard, type RunBoardRequest, type RunEnvironment, type RunReport } from './run-board.js';

/** A frame link to a QEMU `-netdev dgram` backend on loopback: we bind hostPort, QEMU guestPort. */
export interface QemuFrameLink extends FrameLink {
  readonly hostPort: number;
  readonly guestPort: number;
}

export interface NetbootEnvironment extends RunEnvironment {
  openQemuFrameLink: () => Promise<QemuFrameLink>;
}

export interface NetbootRequest extends Omit<RunBoardRequest, 'mode' | 'netdev'> {
  kernel: string;
  /** U-Boot `tftpwindowsize` for the payload transfer (RFC 7440); default 1 (U-Boot's own). */
  windowsize?: number;
  /** U-Boot `tftptimeout` (ms, at least UBOOT_TFTP_TIMEOUT_MIN_MS). */
  tftpTimeoutMs?: number;
  /** U-Boot `tftpblocksize` (RFC 2348 blksize it asks for; default 1468). */
  tftpBlksize?: number;
  /** Bytes served in place of the kernel file (e.g. the payload with its per-run config patched). */
  payloadBytes?: Uint8Array;
  /** Probability of dropping each frame on the link, both ways: seeded loss injection (transports/frame-loss.ts), so a run is reproducible. */
  netLoss?: number;
  /** Every frame on the lab link as the board's port sees it, before any injected loss (e.g. the payload's UDP report). */
  onFrame?: (frame: Uint8Array) => void;
}

export interface NetbootReport extends RunReport {
  netboot: { serverIp: string; files: string[]; transfers: Array<{ file: string; bytes: number; ms: number; retransmits: number; windowsize: number; blksize: number }> };
}

/**
 * Netboots an emulated board through our own servers: QEMU's NIC is a `-netdev dgram` link to our
 * userspace stack (no root, no tap); our DHCP server answers the board's client and our TFTP
 * server serves what the profile's netboot flow needs (board-boot-files.ts): for U-Boot a
 * generated boot script plus the payload image, for UEFI PXE the payload itself as the boot file.
 * Then the boot is verified on the console like any other run.
 */
export async function runNetboot(board: BoardRef, request: NetbootRequest, env: NetbootEnvironment, options: { progress?: ProgressSink; signal?: AbortSignal } = {}): Promise<NetbootReport> {
  const profile = resolveBoard(board, request.board);
  // Usage errors before reading anything.
  const tftpSettings = { windowsize: request.windowsize, timeoutMs: request.tftpTimeoutMs, blksize: request.tftpBlksize };
  checkUbootTftpSettings(tftpSettings);
  checkEmulatedNetboot(profile);
  if (!request.payloadBytes) await checkInputFile(request.kernel, 'kernel');
  if (request.logFile) await checkOutputFile(request.logFile, 'console log');
  const payload = request.payloadBytes ?? new Uint8Array(await readFile(request.kernel));
  const boot = boardBootFiles(profile, payload, {
    payloadName: basename(request.kernel).replace(/\.[^.]*$/, ''),
    ...tftpSettings,
  });
  const transfers: NetbootReport['netboot']['transfers'] = [];
  // The servers' typed events: the report takes the transfers from them, the progress stream carries them on.
  const onEvent = (e: LabEvent) => {
    if (e.type === 'transfer-done') transfers.push({ file: e.transfer.file, bytes: e.bytes, ms: Math.round(e.durationMs), retransmits: e.retransmits, windowsize: e.transfer.windowsize, blksize: e.transfer.blksize });
    options.progress?.(labProgress(e));
  };
  const raw = await env.openQemuFrameLink();
  // Observe at the board's port (before the injected loss): the oracle is about what the board sent.
  const tapped = request.onFrame ? tapFrames(raw, request.onFrame) : raw;
  const link = request.netLoss ? withFrameLoss(tapped, { loss: request.netLoss, seed: 7 }) : tapped;
  const lab = await LabNetwork.start({ link, bootFile: boot.bootFile, bootRules: [boot.bootRule], files: staticFiles(boot.files), onEvent });
  try {
    const { payloadBytes: _bytes, netLoss: _loss, onFrame: _onFrame, windowsize: _ws, tftpTimeoutMs: _tt, tftpBlksize: _bs, ...rest } = request;
    const report = await runBoard(
      profile,
      {
        ...rest,
        mode: 'netboot',
        netdev: { id: 'n0', kind: 'dgram', local: { host: '127.0.0.1', port: link.guestPort }, remote: { host: '127.0.0.1', port: link.hostPort } },
      },
      env,
      options,
    );
    return { ...report, netboot: { serverIp: lab.serverIp!, files: Object.keys(boot.files), transfers } };
  } finally {
    await lab.close();
  }
}

/** The same link, with every received frame (a copy) also handed to `observer`. */
function tapFrames<T extends FrameLink>(link: T, observer: (frame: Uint8Array) => void): T {
  const tapped = Object.create(link) as T;
  tapped.onFrame = (handler) =>
    link.onFrame((frame) => {
      observer(frame.slice());
      handler(frame);
    });
  tapped.send = (frame) => link.send(frame);
  tapped.close = () => link.close();
  return tapped;
}
