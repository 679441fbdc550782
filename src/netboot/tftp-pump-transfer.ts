/**
 * One served read whose data phase runs in the network's bulk TFTP pump (kernel UDP with the
 * native addon): the server has parsed, opened and negotiated; this hands the bytes and the
 * negotiated values over, turns the pump's stats into `transfer-progress` events and its result
 * into the same `transfer-done` / `transfer-abort` / `transfer-error` events a TypeScript
 * `Transfer` emits. The pump keeps the sender's rules (see transports/tftp-pump.ts).
 */
import type { TftpPump, TftpPumpResult, TftpPumpRun } from '../transports/tftp-pump.js';
import type { TimerHandle } from '../core/clock.js';
import { TFTP_DEFAULTS } from '../protocols/tftp/defaults.js';
import type { BlockSource, TftpOutcome } from '../protocols/tftp/sender.js';
import type { OpenedFile } from './file-root.js';
import type { MemorySource } from './generated-files.js';
import { closeSource } from './tftp-transfer.js';
import type { TftpTransferInfo, TransferContext } from './tftp-types.js';

/** How often the pump's counters are read for progress events. */
const POLL_MS = 250;

export interface PumpSettings {
  oack: Uint8Array | undefined;
  retransmitMs: number;
  maxRetransmitMs: number;
  maxRetries: number;
}

/** The pump's view of a source: an open descriptor or bytes in memory; undefined if neither. */
export function pumpSource(source: BlockSource): { fd: number; size: number } | { data: Uint8Array } | undefined {
  const fd = (source as Partial<OpenedFile>).descriptor;
  if (typeof fd === 'number') return { fd, size: source.size };
  const bytes = (source as Partial<MemorySource>).bytes;
  return bytes instanceof Uint8Array ? { data: bytes } : undefined;
}

export class PumpTransfer {
  private run: TftpPumpRun | undefined;
  private poll: TimerHandle | undefined;
  private nextProgress: number;
  private readonly progressEvery: number;
  private readonly startedAt: number;
  private finished: Promise<void> | undefined;

  constructor(
    private readonly ctx: TransferContext,
    private readonly info: TftpTransferInfo,
    private readonly source: BlockSource,
  ) {
    this.startedAt = ctx.clock.now();
    this.progressEvery = ctx.options.progressEveryBytes ?? TFTP_DEFAULTS.progressEveryBytes;
    this.nextProgress = this.progressEvery;
  }

  /** Binds the transfer's port and starts; throws (nothing started) when the port cannot be bound. */
  begin(pump: TftpPump, localAddress: string, settings: PumpSettings): void {
    const view = pumpSource(this.source)!;
    this.run = pump.start({
      localAddress,
      peer: this.info.client,
      source: view,
      blksize: this.info.blksize,
      windowsize: this.info.windowsize,
      oack: settings.oack,
      retransmitMs: settings.retransmitMs,
      maxRetransmitMs: settings.maxRetransmitMs,
      maxRetries: settings.maxRetries,
      deadlineMs: this.ctx.options.transferDeadlineMs ?? TFTP_DEFAULTS.transferDeadlineMs,
    });
    this.schedulePoll();
    this.finished = this.run.done.then((r) => this.end(r));
  }

  private schedulePoll(): void {
    this.poll = this.ctx.clock.setTimeout(() => {
      this.progress();
      this.schedulePoll();
    }, POLL_MS);
  }

  private progress(): void {
    const acked = this.run!.stats().bytesAcked;
    if (acked >= this.nextProgress) {
      this.nextProgress = (Math.floor(acked / this.progressEvery) + 1) * this.progressEvery;
      this.ctx.emit({ type: 'transfer-progress', transfer: this.info, bytes: acked });
    }
  }

  private end(r: TftpPumpResult): void {
    this.poll?.cancel();
    closeSource(this.source);
    this.ctx.release(this.info.client);
    const stats = this.run!.stats();
    const { emit, clock } = this.ctx;
    if (r.status === 'complete') {
      const bytes = this.source.size;
      emit({ type: 'transfer-done', transfer: this.info, bytes, durationMs: clock.now() - this.startedAt, retransmits: stats.retransmits });
    } else if (r.status === 'client-abort') {
      emit({ type: 'transfer-abort', transfer: this.info, code: r.code, message: r.message, afterOack: r.afterOack });
    } else {
      emit({ type: 'transfer-error', transfer: this.info, bytes: stats.bytesAcked, message: r.message });
    }
  }

  /** Ends it from the server side (the pump sends ERROR 0 "server is shutting down"). */
  async stop(_outcome?: TftpOutcome, _errorToPeer?: string): Promise<void> {
    this.run?.abort();
    await this.finished;
  }
}
