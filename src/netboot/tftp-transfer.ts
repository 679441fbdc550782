/**
 * One live TFTP transfer: a sender or receiver engine bound to its own DatagramLink (the server's
 * TID for this client). Datagrams are handled synchronously (decode → engine → send), so nothing is
 * ever sent in answer to a duplicate ACK and the engines' rules hold exactly as unit-tested.
 *
 * The hot path (one ACK in, one window of DATA out) is kept free of per-packet timers and promises:
 * - the retransmit timer is re-armed by moving a deadline; the clock timer is only replaced when the
 *   new deadline is earlier than the pending one (an ACK normally pushes it later), and a timer that
 *   fires early re-schedules itself for the rest. Firing times are exactly those of cancel+create;
 * - sends go through the link's synchronous `sendNow` when it offers one (the kernel UDP link does),
 *   instead of a promise plus a rejection handler per datagram.
 */
import type { TimerHandle } from '../core/clock.js';
import type { Datagram, DatagramAddress, DatagramLink } from '../transports/datagram-link.js';
import { TFTP_DEFAULTS } from '../protocols/tftp/defaults.js';
import { ErrorCode, decodePacket, encodeError } from '../protocols/tftp/packet.js';
import type { TftpReceiver } from '../protocols/tftp/receiver.js';
import type { BlockSource, TftpAction, TftpOutcome, TftpSender } from '../protocols/tftp/sender.js';
import type { UploadFile } from './file-root.js';
import type { TftpTransferInfo, TransferContext } from './tftp-types.js';

/** A link that can also send without a promise (failures are loss, as for any datagram). */
export interface SyncSendLink extends DatagramLink {
  sendNow(data: Uint8Array, to: DatagramAddress): void;
}

const ignore = (): void => {};

export function closeSource(s: BlockSource | undefined): void {
  (s as { close?: () => void } | undefined)?.close?.();
}

/** Sends `data` to `to` on `link`, synchronously when the link allows it. */
export function sendQuietly(link: DatagramLink, data: Uint8Array, to: DatagramAddress): void {
  const fast = (link as Partial<SyncSendLink>).sendNow;
  if (fast) fast.call(link, data, to);
  else link.send(data, to).catch(ignore);
}

export class Transfer {
  private timer: TimerHandle | undefined;
  /** When the pending clock timer fires (it may be earlier than `due`: it then re-schedules). */
  private timerAt = 0;
  /** When the retransmit timeout is due; undefined while disarmed. */
  private due: number | undefined;
  private deadline: TimerHandle | undefined;
  private readonly startedAt: number;
  private nextProgress: number;
  private readonly progressEvery: number;
  private stopped = false;
  private readonly send: (data: Uint8Array) => void;

  constructor(
    private readonly ctx: TransferContext,
    private readonly info: TftpTransferInfo,
    private readonly link: DatagramLink,
    private readonly engine: TftpSender | TftpReceiver,
    private readonly source: BlockSource | undefined,
    private readonly upload: UploadFile | undefined,
  ) {
    this.startedAt = ctx.clock.now();
    this.progressEvery = ctx.options.progressEveryBytes ?? TFTP_DEFAULTS.progressEveryBytes;
    this.nextProgress = this.progressEvery;
    const peer = info.client;
    const fast = (link as Partial<SyncSendLink>).sendNow;
    this.send = fast ? (data) => fast.call(link, data, peer) : (data) => void link.send(data, peer).catch(ignore);
  }

  begin(): void {
    const { clock, options } = this.ctx;
    this.link.onMessage((d) => this.onDatagram(d));
    this.deadline = clock.setTimeout(() => {
      void this.stop({ status: 'failed', reason: 'timeout', message: 'transfer deadline exceeded' }, 'transfer deadline exceeded');
    }, options.transferDeadlineMs ?? TFTP_DEFAULTS.transferDeadlineMs);
    this.apply(this.engine.start());
  }

  private onDatagram(d: Datagram): void {
    if (this.stopped) return;
    const peer = this.info.client;
    if (d.from.port !== peer.port || d.from.address !== peer.address) {
      // RFC 1350 §4: a foreign TID gets ERROR 5 and the transfer goes on.
      sendQuietly(this.link, encodeError(ErrorCode.UNKNOWN_TID, 'unknown transfer ID'), d.from);
      return;
    }
    const p = decodePacket(d.data);
    if (p.op === 'MALFORMED') {
      this.ctx.emit({ type: 'bad-datagram', client: d.from, reason: p.reason });
      // A garbled packet from the peer is treated as loss; the timeout recovers.
      return;
    }
    this.apply(this.engine.receive(p));
  }

  private apply(actions: TftpAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.send(a.bytes);
          break;
        case 'arm':
          this.arm(a.ms);
          break;
        case 'disarm':
          this.due = undefined;
          this.timer?.cancel();
          this.timer = undefined;
          break;
        case 'finish':
          void this.stop(a.outcome);
          return;
      }
    }
    const acked = this.engine.stats.bytesAcked;
    if (acked >= this.nextProgress) {
      this.nextProgress = (Math.floor(acked / this.progressEvery) + 1) * this.progressEvery;
      this.ctx.emit({ type: 'transfer-progress', transfer: this.info, bytes: acked });
    }
  }

  private arm(ms: number): void {
    const clock = this.ctx.clock;
    const due = clock.now() + ms;
    this.due = due;
    // A pending timer at or before the new deadline serves it (it re-schedules when early).
    if (this.timer && this.timerAt <= due) return;
    this.timer?.cancel();
    this.schedule(due);
  }

  private schedule(at: number): void {
    const clock = this.ctx.clock;
    this.timerAt = at;
    this.timer = clock.setTimeout(() => this.onTimer(), Math.max(0, at - clock.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.stopped || this.due === undefined) return;
    if (this.ctx.clock.now() < this.due) return this.schedule(this.due);
    this.due = undefined;
    this.apply(this.engine.timeout());
  }

  async stop(outcome: TftpOutcome, errorToPeer?: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.due = undefined;
    this.deadline?.cancel();
    const { emit, release, clock } = this.ctx;
    if (errorToPeer) await this.link.send(encodeError(ErrorCode.UNDEFINED, errorToPeer), this.info.client).catch(ignore);
    closeSource(this.source);
    let final = outcome;
    if (this.upload) {
      if (outcome.status === 'complete') {
        try {
          this.upload.commit();
        } catch (err) {
          final = { status: 'failed', reason: 'protocol', message: err instanceof Error ? err.message : 'commit failed' };
        }
      } else this.upload.abort();
    }
    release(this.info.client);
    const stats = this.engine.stats;
    if (final.status === 'complete') {
      emit({ type: 'transfer-done', transfer: this.info, bytes: final.bytes, durationMs: clock.now() - this.startedAt, retransmits: stats.retransmits });
    } else if (final.status === 'client-abort') {
      emit({ type: 'transfer-abort', transfer: this.info, code: final.code, message: final.message, afterOack: final.afterOack });
    } else {
      emit({ type: 'transfer-error', transfer: this.info, bytes: stats.bytesAcked, message: final.message });
    }
    if (this.upload && final.status === 'complete' && !this.ctx.closed()) return this.dally();
    await this.link.close();
  }

  /** After the last ACK of an upload, answer a retransmitted last DATA (our ACK was lost) for a while. */
  private dally(): void {
    const { clock, options, lingering } = this.ctx;
    const peer = this.info.client;
    const lastAck = Uint8Array.of(0, 4, 0, 0);
    const blocks = Math.floor(this.engine.stats.bytesAcked / this.info.blksize) + 1;
    lastAck[2] = (blocks >> 8) & 0xff;
    lastAck[3] = blocks & 0xff;
    lingering.add(this.link);
    this.link.onMessage((d) => {
      if (d.from.address === peer.address && d.from.port === peer.port && d.data[1] === 3) this.send(lastAck);
    });
    clock.setTimeout(() => {
      lingering.delete(this.link);
      void this.link.close();
    }, 2 * (options.retransmitMs ?? TFTP_DEFAULTS.retransmitMs));
  }
}
