/**
 * The native TFTP pump (`native/tftp_pump.c`, built into build/native/ by scripts/build-native.mjs)
 * behind the TftpPump interface: a pool of worker threads, each an epoll loop doing the DATA/ACK
 * exchange of its transfers, sendmmsg for windows, and a short spin for the ACK while only one
 * transfer runs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BoardkitError } from '../../core/errors.js';
import type { TftpPump, TftpPumpJob, TftpPumpLimits, TftpPumpResult, TftpPumpRun } from '../tftp-pump.js';

interface Addon {
  /** The addon's own compile-time limits (MAX_WINDOW, BLKSIZE_MAX, MAX_WORKERS in tftp_pump.c). */
  limits(): TftpPumpLimits & { maxWorkers: number };
  start(job: Record<string, unknown>, done: (r: RawResult) => void): unknown;
  port(h: unknown): number;
  stats(h: unknown): number[];
  abort(h: unknown): void;
}
interface RawResult {
  status: 'complete' | 'client-abort' | 'timeout' | 'protocol';
  code: number;
  message: string;
  afterOack: boolean;
}

/** Where the addon is built: <package>/build/native (this file sits 3 levels below the package in src/ and dist/). */
export const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'build', 'native');
const ADDON = join(NATIVE_DIR, 'tftp_pump.node');

export interface NativeLoad<T> {
  value: T | undefined;
  /** Why it is missing, with what to do. */
  reason?: string;
}

let loaded: NativeLoad<Addon> | undefined;

function loadAddon(): NativeLoad<Addon> {
  if (loaded) return loaded;
  if (process.env.BOARDKIT_NATIVE === '0') loaded = { value: undefined, reason: 'disabled by BOARDKIT_NATIVE=0' };
  else if (!existsSync(ADDON)) loaded = { value: undefined, reason: `not built (${ADDON} missing): run \`npm run build\` with a C compiler and Node.js headers installed` };
  else {
    try {
      loaded = { value: createRequire(import.meta.url)(ADDON) as Addon };
    } catch (err) {
      loaded = { value: undefined, reason: `cannot load ${ADDON}: ${err instanceof Error ? err.message : String(err)}; rebuild with \`npm run build\`` };
    }
  }
  return loaded;
}

export interface NativePumpOptions {
  /** Spin this long for an ACK before sleeping in poll (default 200 µs; 0 never spins). */
  spinUs?: number;
  /** Spin only while at most this many transfers run (default: cores − 1, so a client keeps a core; 0 on one core). */
  spinMaxActive?: number;
  /** Worker threads, each an epoll loop over its transfers' sockets (default: one per core; the
   * pool starts with the first transfer and is shared by every server in the process). */
  workers?: number;
  /**
   * Send each window as UDP GSO sends (one trip through the kernel per window) where the kernel
   * can. Default false: measured on loopback with atftp at windowsize 16, GSO was 25% slower,
   * because the client sees no block until the whole window is segmented, while sendmmsg lets it
   * start on the first; GSO saves sender CPU where a NIC segments in hardware.
   */
  gso?: boolean;
}

class NativeTftpPump implements TftpPump {
  readonly limits: TftpPumpLimits;

  constructor(
    private readonly addon: Addon,
    private readonly options: NativePumpOptions,
  ) {
    const { maxWindowsize, maxBlksize } = addon.limits();
    this.limits = { maxWindowsize, maxBlksize };
  }

  start(job: TftpPumpJob): TftpPumpRun {
    const addon = this.addon;
    let settle!: (r: TftpPumpResult) => void;
    const done = new Promise<TftpPumpResult>((resolve) => (settle = resolve));
    const src = job.source;
    let handle: unknown;
    try {
      handle = addon.start(
        {
          localAddress: job.localAddress,
          peerAddress: job.peer.address,
          peerPort: job.peer.port,
          fd: 'fd' in src ? src.fd : -1,
          data: 'data' in src ? src.data : undefined,
          size: 'fd' in src ? src.size : src.data.length,
          blksize: job.blksize,
          windowsize: job.windowsize,
          oack: job.oack,
          retransmitMs: Math.max(1, Math.round(job.retransmitMs)),
          maxRetransmitMs: Math.max(1, Math.round(job.maxRetransmitMs)),
          maxRetries: job.maxRetries,
          deadlineMs: job.deadlineMs,
          spinUs: this.options.spinUs ?? 200,
          spinMaxActive: this.options.spinMaxActive ?? availableParallelism() - 1,
          workers: this.options.workers ?? availableParallelism(),
          gso: this.options.gso ? 1 : 0,
        },
        (r) => settle(r.status === 'complete' ? { status: 'complete' } : r.status === 'client-abort' ? { status: 'client-abort', code: r.code, message: r.message, afterOack: r.afterOack } : { status: r.status, message: r.message }),
      );
    } catch (err) {
      throw new BoardkitError('E_UDP_BIND', 'infrastructure', `cannot start a TFTP transfer on ${job.localAddress}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return {
      port: addon.port(handle),
      stats: () => {
        const [bytesAcked, blocksSent, retransmits, duplicateAcks, foreignDatagrams, badDatagrams, gsoSends] = addon.stats(handle);
        return { bytesAcked: bytesAcked!, blocksSent: blocksSent!, retransmits: retransmits!, duplicateAcks: duplicateAcks!, foreignDatagrams: foreignDatagrams!, badDatagrams: badDatagrams!, gsoSends: gsoSends! };
      },
      abort: () => addon.abort(handle),
      done,
    };
  }
}

/** The native pump, or why it is unavailable. */
export function loadNativeTftpPump(options: NativePumpOptions = {}): NativeLoad<TftpPump> {
  const a = loadAddon();
  return a.value ? { value: new NativeTftpPump(a.value, options) } : { value: undefined, reason: a.reason };
}
