/**
 * An in-memory TftpPump: it sends nothing, it records each job the server hands over and lets the
 * test play the pump's side (acknowledged bytes, retransmits, how the transfer ends). With it the
 * TypeScript side of a pumped read (the handover in `netboot/tftp-server.ts`, progress and
 * outcome events in `netboot/tftp-pump-transfer.ts`) is tested without the native addon or a
 * socket. Put it on any DatagramNetwork: `{ bind: (l) => net.bind(l), tftpPump: new FakeTftpPump() }`.
 *
 * The wire rules of a real pump are tested against the addon itself (test/netboot/tftp-pump.test.ts).
 */
import { readSync } from 'node:fs';
import type { TftpPump, TftpPumpJob, TftpPumpLimits, TftpPumpResult, TftpPumpRun, TftpPumpStats } from '../tftp-pump.js';

export interface FakeTftpPumpOptions {
  /** What it reports it can send; default: no limit (every negotiated read is handed over). */
  limits?: Partial<TftpPumpLimits>;
  /** Make `start` throw (as a failed bind does), e.g. `() => new Error('EADDRINUSE')`. */
  failStart?: (job: TftpPumpJob) => Error | undefined;
  /** First local port handed out (each run gets the next). */
  firstPort?: number;
}

export class FakeTftpPump implements TftpPump {
  readonly limits: TftpPumpLimits;
  /** Every run started, in order. */
  readonly runs: FakeTftpPumpRun[] = [];
  private nextPort: number;

  constructor(private readonly options: FakeTftpPumpOptions = {}) {
    this.limits = { maxWindowsize: Number.MAX_SAFE_INTEGER, maxBlksize: Number.MAX_SAFE_INTEGER, ...options.limits };
    this.nextPort = options.firstPort ?? 50_000;
  }

  start(job: TftpPumpJob): TftpPumpRun {
    const err = this.options.failStart?.(job);
    if (err) throw err;
    const run = new FakeTftpPumpRun(job, this.nextPort++);
    this.runs.push(run);
    return run;
  }
}

export class FakeTftpPumpRun implements TftpPumpRun {
  readonly done: Promise<TftpPumpResult>;
  /** Whether the server asked it to stop (it then ends as the native pump does: ERROR 0 sent, `protocol`). */
  aborted = false;
  private settle!: (r: TftpPumpResult) => void;
  private ended = false;
  private readonly counters: TftpPumpStats = { bytesAcked: 0, blocksSent: 0, retransmits: 0, duplicateAcks: 0, foreignDatagrams: 0, badDatagrams: 0, gsoSends: 0 };

  constructor(
    readonly job: TftpPumpJob,
    readonly port: number,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  /** The bytes the job would send: from memory, or read now from the descriptor (the server closes it after `done`). */
  bytes(): Uint8Array {
    const src = this.job.source;
    if ('data' in src) return src.data;
    const out = new Uint8Array(src.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(src.fd, out, at, out.length - at, at);
      if (n <= 0) break;
      at += n;
    }
    return out.subarray(0, at);
  }

  stats(): TftpPumpStats {
    return { ...this.counters };
  }

  /** Plays the client acknowledging up to `bytes` (and the blocks sent so far). */
  acknowledge(bytes: number, o: { retransmits?: number } = {}): void {
    this.counters.bytesAcked = bytes;
    this.counters.blocksSent = Math.max(this.counters.blocksSent, Math.ceil(bytes / this.job.blksize));
    this.counters.retransmits += o.retransmits ?? 0;
  }

  /** Ends it: the last ACK came. */
  complete(): void {
    const size = 'data' in this.job.source ? this.job.source.data.length : this.job.source.size;
    this.acknowledge(size);
    this.end({ status: 'complete' });
  }

  /** Ends it with the result the pump would report (a client's ERROR, a timeout, a protocol breach). */
  end(result: TftpPumpResult): void {
    if (this.ended) return;
    this.ended = true;
    this.settle(result);
  }

  abort(): void {
    this.aborted = true;
    this.end({ status: 'protocol', message: 'server is shutting down' });
  }
}
