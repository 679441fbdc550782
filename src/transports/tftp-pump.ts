/**
 * A bulk TFTP sender offered by a DatagramNetwork whose datagrams are kernel UDP: it runs the data
 * phase of a served read (OACK → ACK 0 → DATA/ACK windows) next to the socket, off the event loop.
 * It keeps the rules of the TypeScript sender (`protocols/tftp/sender.ts`) exactly; the server
 * still parses the request, opens the file and negotiates the options, then hands over.
 *
 * Implemented by `node/native-tftp-pump.ts` (a C addon); networks without one (the userspace
 * stack, most fakes) leave `TftpPumpNetwork.tftpPump` undefined and the TypeScript engine serves;
 * `fake/fake-tftp-pump.ts` is an in-memory one for tests of the server's side of a pumped read.
 */
import type { DatagramAddress, DatagramNetwork } from './datagram-link.js';

export interface TftpPumpJob {
  /** Local address to bind the transfer's fresh port (its TID) on: the server's listen address. */
  localAddress: string;
  peer: DatagramAddress;
  /** The bytes: an open descriptor (read with pread; the caller closes it after `done`) or memory. */
  source: { fd: number; size: number } | { data: Uint8Array };
  blksize: number;
  windowsize: number;
  /** Encoded OACK to send first (the client then ACKs block 0); absent → DATA 1 first. */
  oack?: Uint8Array;
  retransmitMs: number;
  maxRetransmitMs: number;
  maxRetries: number;
  /** Whole-transfer deadline. */
  deadlineMs: number;
}

export type TftpPumpResult =
  | { status: 'complete' }
  | { status: 'client-abort'; code: number; message: string; afterOack: boolean }
  /** `timeout`: no ACK after the retries, or the deadline; `protocol`: the peer broke the protocol, or an abort. */
  | { status: 'timeout' | 'protocol'; message: string };

export interface TftpPumpStats {
  bytesAcked: number;
  blocksSent: number;
  retransmits: number;
  duplicateAcks: number;
  /** Datagrams from another address or port (each answered with ERROR 5). */
  foreignDatagrams: number;
  /** Datagrams from the peer too short or of an unknown opcode (treated as loss). */
  badDatagrams: number;
  /** Windows (or parts of them) sent as one UDP GSO super-datagram. */
  gsoSends: number;
}

export interface TftpPumpRun {
  /** The transfer's local port (its TID). */
  readonly port: number;
  stats(): TftpPumpStats;
  /** Ends the transfer with ERROR 0 "server is shutting down"; `done` then resolves. */
  abort(): void;
  /** Settles once the transfer has ended and its socket is closed; never rejects. */
  readonly done: Promise<TftpPumpResult>;
}

/** What a pump can send; a transfer negotiated outside these stays in TypeScript. */
export interface TftpPumpLimits {
  /** The largest windowsize it can send (a window is one batch of sends). */
  readonly maxWindowsize: number;
  /** The largest blksize it can send. */
  readonly maxBlksize: number;
}

export interface TftpPump {
  /** Reported by the implementation itself (the native addon's `limits()`), never copied by hand. */
  readonly limits: TftpPumpLimits;
  /** Binds the transfer's port and starts sending; throws when the port cannot be bound. */
  start(job: TftpPumpJob): TftpPumpRun;
}

/** A DatagramNetwork that may offer a bulk TFTP sender on its sockets (kernel UDP with the addon). */
export interface TftpPumpNetwork extends DatagramNetwork {
  readonly tftpPump?: TftpPump;
}
