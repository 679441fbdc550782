/**
 * The sending side of one TFTP transfer (a served RRQ). Pure: packets and timer expiries in,
 * actions out (send bytes, arm the retransmit timer, finish). The caller owns the socket and timer.
 *
 * Rules it keeps (docs/netboot-facts.md §1):
 * - Retransmit only on timeout, from the last ACK + 1, with exponential backoff; a duplicate or
 *   stale ACK never causes a send (RFC 1123 §4.2.3.1, the Sorcerer's Apprentice).
 * - RFC 7440: send `windowsize` blocks, then wait; a new ACK inside the window (the receiver saw a
 *   gap) restarts the window at ACK + 1.
 * - Block numbers wrap 65535 → 0; internally blocks are absolute so the wrap is only on the wire.
 * - After an OACK the client ACKs block 0 (RFC 2347 §3). An ERROR instead (the Raspberry Pi sends
 *   "Early terminate" after learning tsize) ends the transfer as a client abort, not a failure.
 */
import { ErrorCode, encodeData, encodeError, encodeOack, type TftpPacket } from './packet.js';

/** Random access to the bytes being served; `read` may return fewer bytes only at the end. */
export interface BlockSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

export type TftpOutcome =
  | { status: 'complete'; bytes: number }
  | { status: 'client-abort'; code: number; message: string; afterOack: boolean }
  | { status: 'failed'; reason: 'timeout' | 'protocol'; message: string };

export type TftpAction =
  | { type: 'send'; bytes: Uint8Array; kind: 'DATA' | 'OACK' | 'ACK' | 'ERROR'; block?: number; retransmit: boolean }
  | { type: 'arm'; ms: number }
  | { type: 'disarm' }
  | { type: 'finish'; outcome: TftpOutcome };

export interface SenderOptions {
  source: BlockSource;
  blksize: number;
  windowsize: number;
  /** Options for the OACK; empty or absent → start with DATA 1. */
  oack?: ReadonlyArray<readonly [string, string]>;
  /** First retransmit interval in ms (the client's timeout option when given). */
  retransmitMs: number;
  /** Longest retransmit interval after backoff. */
  maxRetransmitMs: number;
  /** Retransmits of the same window before giving up. */
  maxRetries: number;
}

export interface TransferStats {
  /** Bytes the client has acknowledged. */
  bytesAcked: number;
  blocksSent: number;
  retransmits: number;
  duplicateAcks: number;
}

export class TftpSender {
  private readonly lastBlock: number;
  private acked = 0;
  private sent = 0;
  private retries = 0;
  private finished = false;
  private readonly hasOack: boolean;
  /** True from sending the OACK until the client's ACK 0. */
  private awaitingOackAck: boolean;
  readonly stats: TransferStats = { bytesAcked: 0, blocksSent: 0, retransmits: 0, duplicateAcks: 0 };

  constructor(private readonly opts: SenderOptions) {
    // A file of exactly k·blksize bytes ends with an empty block (RFC 1350 §6).
    this.lastBlock = Math.floor(opts.source.size / opts.blksize) + 1;
    this.hasOack = (opts.oack?.length ?? 0) > 0;
    this.awaitingOackAck = this.hasOack;
  }

  get done(): boolean {
    return this.finished;
  }

  start(): TftpAction[] {
    if (this.hasOack) {
      return [{ type: 'send', bytes: encodeOack(this.opts.oack!), kind: 'OACK', retransmit: false }, this.arm()];
    }
    return this.sendWindow(1, false);
  }

  receive(packet: TftpPacket): TftpAction[] {
    if (this.finished) return [];
    if (packet.op === 'ERROR') {
      this.finished = true;
      const afterOack = this.awaitingOackAck;
      return [{ type: 'disarm' }, { type: 'finish', outcome: { status: 'client-abort', code: packet.code, message: packet.message, afterOack } }];
    }
    if (packet.op !== 'ACK') {
      // RFC 1350 §7: an illegal packet on a transfer ends it with ERROR 4.
      this.finished = true;
      return [
        { type: 'send', bytes: encodeError(ErrorCode.ILLEGAL_OPERATION, `unexpected ${packet.op} during a read`), kind: 'ERROR', retransmit: false },
        { type: 'disarm' },
        { type: 'finish', outcome: { status: 'failed', reason: 'protocol', message: `client sent ${packet.op}` } },
      ];
    }
    if (this.awaitingOackAck) {
      if (packet.block !== 0) {
        this.stats.duplicateAcks++;
        return [];
      }
      this.awaitingOackAck = false;
      this.retries = 0;
      return this.sendWindow(1, false);
    }
    const k = this.absolute(packet.block);
    if (k === undefined || k <= this.acked) {
      // Duplicate or stale ACK: never answer with DATA (RFC 1123 §4.2.3.1).
      this.stats.duplicateAcks++;
      return [];
    }
    this.acked = k;
    this.retries = 0;
    this.stats.bytesAcked = Math.min(this.opts.source.size, k * this.opts.blksize);
    if (k === this.lastBlock) {
      this.finished = true;
      return [{ type: 'disarm' }, { type: 'finish', outcome: { status: 'complete', bytes: this.opts.source.size } }];
    }
    // Whole window acknowledged → next window; an ACK inside it → the receiver lost what follows,
    // so the window restarts at k + 1 (RFC 7440 §4).
    return this.sendWindow(k + 1, k < this.sent);
  }

  timeout(): TftpAction[] {
    if (this.finished) return [];
    this.retries++;
    if (this.retries > this.opts.maxRetries) {
      this.finished = true;
      return [
        { type: 'send', bytes: encodeError(ErrorCode.UNDEFINED, 'timed out waiting for ACK'), kind: 'ERROR', retransmit: false },
        { type: 'finish', outcome: { status: 'failed', reason: 'timeout', message: `no ACK after ${this.opts.maxRetries} retransmits` } },
      ];
    }
    if (this.awaitingOackAck) {
      this.stats.retransmits++;
      return [{ type: 'send', bytes: encodeOack(this.opts.oack!), kind: 'OACK', retransmit: true }, this.arm()];
    }
    return this.sendWindow(this.acked + 1, true);
  }

  /** Maps a 16-bit wire block to the absolute block in [acked, sent], if any. */
  private absolute(wire: number): number | undefined {
    const base = this.acked;
    const delta = (wire - (base & 0xffff) + 0x10000) & 0xffff;
    const k = base + delta;
    return k <= this.sent ? k : undefined;
  }

  private sendWindow(from: number, retransmit: boolean): TftpAction[] {
    const actions: TftpAction[] = [];
    const { blksize, windowsize, source } = this.opts;
    const to = Math.min(this.lastBlock, from + windowsize - 1);
    for (let k = from; k <= to; k++) {
      const data = source.read((k - 1) * blksize, blksize);
      actions.push({ type: 'send', bytes: encodeData(k & 0xffff, data), kind: 'DATA', block: k, retransmit: retransmit || k <= this.sent });
      this.stats.blocksSent++;
      if (retransmit || k <= this.sent) this.stats.retransmits++;
    }
    this.sent = Math.max(this.sent, to);
    actions.push(this.arm());
    return actions;
  }

  private arm(): TftpAction {
    const ms = Math.min(this.opts.maxRetransmitMs, this.opts.retransmitMs * 2 ** this.retries);
    return { type: 'arm', ms };
  }
}
