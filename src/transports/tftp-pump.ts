/**
 * A bulk TFTP sender offered by a DatagramNetwork whose datagrams are kernel UDP: it runs the data
 * phase of a served read (OACK → ACK 0 → DATA/ACK windows) next to the socket, off the event loop.
 * It keeps the rules of the TypeScript sender (`protocols/tftp/sender.ts`) exactly; the server
 * still parses the request, opens the file and negotiates the options, then hands over.
 *
 * Implemented by `node/native-tftp-pump.ts` (a C addon); networks without one (the userspace
 * stack, fakes) leave `DatagramNetwork.tftpPump` undefined and the TypeScript engine serves.
 */
import type { DatagramAddress } from './datagram-link.js';

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

export interface TftpPump {
  /** The largest windowsize it can send; a transfer negotiated above it stays in TypeScript. */
  readonly maxWindowsize: number;
  /** Binds the transfer's port and starts sending; throws when the port cannot be bound. */
  start(job: TftpPumpJob): TftpPumpRun;
}
