/**
 * The receiving side of one TFTP transfer (a served WRQ). Pure, like `TftpSender`: packets and
 * timer expiries in, actions out; bytes go to an injected sink.
 *
 * - Starts with OACK (options accepted) or ACK 0 (RFC 1350 §4, RFC 2347 §3).
 * - ACKs every `windowsize`-th block and the final short block; on a gap or a duplicate it ACKs the
 *   last in-order block so the sender resumes there (RFC 7440 §4). Block numbers wrap 65535 → 0.
 * - On timeout it repeats its last ACK/OACK with backoff.
 */
import { ErrorCode, encodeAck, encodeError, encodeOack, type TftpPacket } from './packet.js';
import type { TftpAction, TransferStats } from './sender.js';

export interface ReceiverOptions {
  /** Receives each in-order block's bytes; a thrown error ends the transfer with ERROR 3. */
  sink: (chunk: Uint8Array) => void;
  blksize: number;
  windowsize: number;
  oack?: ReadonlyArray<readonly [string, string]>;
  retransmitMs: number;
  maxRetransmitMs: number;
  maxRetries: number;
  /** Upload size cap (RFC 1350 error 3 "disk full or allocation exceeded" beyond it). */
  maxBytes: number;
}

export class TftpReceiver {
  private received = 0;
  private bytes = 0;
  private retries = 0;
  private finished = false;
  private lastAck: Uint8Array;
  private readonly hasOack: boolean;
  readonly stats: TransferStats = { bytesAcked: 0, blocksSent: 0, retransmits: 0, duplicateAcks: 0 };

  constructor(private readonly opts: ReceiverOptions) {
    this.hasOack = (opts.oack?.length ?? 0) > 0;
    this.lastAck = this.hasOack ? encodeOack(opts.oack!) : encodeAck(0);
  }

  get done(): boolean {
    return this.finished;
  }

  start(): TftpAction[] {
    return [{ type: 'send', bytes: this.lastAck, kind: this.hasOack ? 'OACK' : 'ACK', retransmit: false }, this.arm()];
  }

  receive(packet: TftpPacket): TftpAction[] {
    if (this.finished) return [];
    if (packet.op === 'ERROR') {
      this.finished = true;
      return [{ type: 'disarm' }, { type: 'finish', outcome: { status: 'client-abort', code: packet.code, message: packet.message, afterOack: this.received === 0 } }];
    }
    if (packet.op !== 'DATA') {
      this.finished = true;
      return [
        { type: 'send', bytes: encodeError(ErrorCode.ILLEGAL_OPERATION, `unexpected ${packet.op} during a write`), kind: 'ERROR', retransmit: false },
        { type: 'disarm' },
        { type: 'finish', outcome: { status: 'failed', reason: 'protocol', message: `client sent ${packet.op}` } },
      ];
    }
    const expected = (this.received + 1) & 0xffff;
    if (packet.block !== expected || packet.data.length > this.opts.blksize) {
      // Duplicate, gap or oversize: re-ACK the last in-order block.
      this.stats.duplicateAcks++;
      return [{ type: 'send', bytes: encodeAck(this.received & 0xffff), kind: 'ACK', retransmit: true }, this.arm()];
    }
    if (this.bytes + packet.data.length > this.opts.maxBytes) return this.fail(ErrorCode.DISK_FULL, 'upload exceeds the size limit');
    try {
      this.opts.sink(packet.data);
    } catch (err) {
      return this.fail(ErrorCode.DISK_FULL, err instanceof Error ? err.message : 'write failed');
    }
    this.received++;
    this.retries = 0;
    this.bytes += packet.data.length;
    this.stats.bytesAcked = this.bytes;
    const last = packet.data.length < this.opts.blksize;
    if (last || this.received % this.opts.windowsize === 0) {
      this.lastAck = encodeAck(this.received & 0xffff);
      const actions: TftpAction[] = [{ type: 'send', bytes: this.lastAck, kind: 'ACK', block: this.received, retransmit: false }];
      if (last) {
        this.finished = true;
        actions.push({ type: 'disarm' }, { type: 'finish', outcome: { status: 'complete', bytes: this.bytes } });
      } else actions.push(this.arm());
      return actions;
    }
    return [this.arm()];
  }

  timeout(): TftpAction[] {
    if (this.finished) return [];
    this.retries++;
    if (this.retries > this.opts.maxRetries) {
      this.finished = true;
      return [{ type: 'finish', outcome: { status: 'failed', reason: 'timeout', message: `no DATA after ${this.opts.maxRetries} retransmits` } }];
    }
    this.stats.retransmits++;
    if (this.received > 0) this.lastAck = encodeAck(this.received & 0xffff);
    return [{ type: 'send', bytes: this.lastAck, kind: this.received === 0 && this.hasOack ? 'OACK' : 'ACK', retransmit: true }, this.arm()];
  }

  private fail(code: number, message: string): TftpAction[] {
    this.finished = true;
    return [
      { type: 'send', bytes: encodeError(code, message), kind: 'ERROR', retransmit: false },
      { type: 'disarm' },
      { type: 'finish', outcome: { status: 'failed', reason: 'protocol', message } },
    ];
  }

  private arm(): TftpAction {
    return { type: 'arm', ms: Math.min(this.opts.maxRetransmitMs, this.opts.retransmitMs * 2 ** this.retries) };
  }
}
