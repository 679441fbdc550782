/**
 * What our TFTP server grants and how long it waits, unless told otherwise: the one table of these
 * values (the server, its transfers, the CLI's help and the native pump's window all read it).
 * The protocol's own limits are in `options.ts` (RFC 2348 / 2349 / 7440).
 */
import { ETHERNET_MTU } from '../net/ethernet.js';
import { BLKSIZE_MAX } from './options.js';

/** RFC 1350 §4: the well-known port a read or write request is sent to. */
export const TFTP_PORT = 69;

export const TFTP_DEFAULTS = {
  /** Largest blksize granted: the RFC 2348 maximum (the path MTU usually caps it first). */
  blksizeMax: BLKSIZE_MAX,
  /** Path MTU to the clients: Ethernet, so DATA is never fragmented. */
  pathMtu: ETHERNET_MTU,
  /** Largest RFC 7440 windowsize granted (netboot clients ask for 16–64; the native pump sends up to 64). */
  windowsizeMax: 64,
  /** First retransmit interval when the client sends no timeout option. */
  retransmitMs: 1000,
  /** Ceiling of the exponential backoff. */
  maxRetransmitMs: 8000,
  /** Retransmits of one window before the transfer is given up. */
  maxRetries: 6,
  /** Whole-transfer deadline: 10 minutes. */
  transferDeadlineMs: 10 * 60_000,
  /** Concurrent transfers overall and per client IP; requests over the caps are ignored (the client retries). */
  maxTransfers: 128,
  maxTransfersPerClient: 16,
  /** A `transfer-progress` event every this many acknowledged bytes: 1 MiB. */
  progressEveryBytes: 1 << 20,
  /** Largest upload (WRQ): 64 MiB. */
  maxUploadBytes: 64 << 20,
} as const;
