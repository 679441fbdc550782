/**
 * The types shared by the TFTP server and its two kinds of transfer (TypeScript engine,
 * native pump): options, what is known about a transfer, the events, and what a transfer needs
 * from its server. In a file of their own so the server and the transfers import them, never
 * each other in a circle.
 */
import type { Clock } from '../core/clock.js';
import type { DatagramAddress, DatagramLink } from '../transports/datagram-link.js';
import type { TftpPumpNetwork } from '../transports/tftp-pump.js';
import type { ClientInfo, FileRoot } from './file-root.js';
import type { GeneratedFileProvider } from './generated-files.js';

/** Who runs the data phase of a read: the network's native pump or the TypeScript engine. */
export type TftpEngine = 'native-pump' | 'typescript';

export interface TftpServerOptions {
  /** Where it serves; a network with a `tftpPump` (kernel UDP with the addon) runs reads' data phase there. */
  network: TftpPumpNetwork;
  /** Where to listen (default 0.0.0.0:TFTP_PORT, 69). Use a high port without CAP_NET_BIND_SERVICE. */
  listen?: Partial<DatagramAddress>;
  /** Directory (or FileRoot, for per-client roots) to serve; optional when `generated` serves all. */
  root?: string | FileRoot;
  /** Asked first for every RRQ; `undefined` falls through to `root`. */
  generated?: GeneratedFileProvider;
  /** Enables WRQ into this separate directory (never the served root; never overwriting). */
  uploadRoot?: string;
  /** Largest upload in bytes (default TFTP_DEFAULTS.maxUploadBytes). */
  maxUploadBytes?: number;
  /** Adds MAC / Pi serial for a client address (from DHCP leases or an inventory). */
  clientInfo?: (from: DatagramAddress) => Partial<ClientInfo> | undefined | Promise<Partial<ClientInfo> | undefined>;
  clock?: Clock;
  /** Largest blksize granted (default TFTP_DEFAULTS.blksizeMax, the RFC 2348 maximum). */
  blksizeMax?: number;
  /** blksize ≤ pathMtu − 32 so DATA is never fragmented (default TFTP_DEFAULTS.pathMtu: Ethernet). */
  pathMtu?: number;
  /** Largest windowsize granted (default TFTP_DEFAULTS.windowsizeMax). */
  windowsizeMax?: number;
  /** First retransmit interval when the client sends no timeout option (default TFTP_DEFAULTS.retransmitMs). */
  retransmitMs?: number;
  /** Backoff ceiling (default TFTP_DEFAULTS.maxRetransmitMs). */
  maxRetransmitMs?: number;
  /** Retransmits of one window before giving up (default TFTP_DEFAULTS.maxRetries). */
  maxRetries?: number;
  /** Whole-transfer deadline (default TFTP_DEFAULTS.transferDeadlineMs). */
  transferDeadlineMs?: number;
  /** Concurrent transfers overall and per client IP (TFTP_DEFAULTS); more are ignored. */
  maxTransfers?: number;
  maxTransfersPerClient?: number;
  /** Emit `transfer-progress` every this many acknowledged bytes (default TFTP_DEFAULTS.progressEveryBytes). */
  progressEveryBytes?: number;
  onEvent?: (event: TftpServerEvent) => void;
}

export interface TftpTransferInfo {
  id: number;
  op: 'RRQ' | 'WRQ';
  client: DatagramAddress;
  file: string;
  mode: 'octet' | 'netascii';
  blksize: number;
  windowsize: number;
  /** File size for RRQ (after netascii conversion); announced size for WRQ, if any. */
  size: number | undefined;
  /** Where the bytes came from. */
  origin: 'root' | 'generated' | 'upload';
  /** Who sends the DATA: the network's native pump or the TypeScript engine. */
  engine: TftpEngine;
}

export type TftpServerEvent =
  /** `engine`: who runs the data phase of reads: the network's native pump or the TypeScript engine. */
  | { type: 'listening'; address: DatagramAddress; engine: TftpEngine }
  | { type: 'transfer-start'; transfer: TftpTransferInfo }
  | { type: 'transfer-progress'; transfer: TftpTransferInfo; bytes: number }
  | { type: 'transfer-done'; transfer: TftpTransferInfo; bytes: number; durationMs: number; retransmits: number }
  /** The client ended it (e.g. the Pi's "Early terminate" after learning tsize): not a server error. */
  | { type: 'transfer-abort'; transfer: TftpTransferInfo; code: number; message: string; afterOack: boolean }
  | { type: 'transfer-error'; transfer: TftpTransferInfo; bytes: number; message: string }
  | { type: 'request-refused'; client: DatagramAddress; file: string; code: number; message: string }
  /** A request ignored: a duplicate of a live transfer (merged) or over a concurrency cap. */
  | { type: 'request-dropped'; client: DatagramAddress; file: string; reason: 'duplicate' | 'cap' }
  | { type: 'bad-datagram'; client: DatagramAddress; reason: string };

/** What a transfer needs from its server. */
export interface TransferContext {
  clock: Clock;
  emit: (e: TftpServerEvent) => void;
  release: (client: DatagramAddress) => void;
  options: TftpServerOptions;
  lingering: Set<DatagramLink>;
  closed: () => boolean;
}
