import { Socket } from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { BoardkitError } from '../../core/errors.js';
import {
  SerialLinkReaderSlot,
  type SerialLink,
  type SerialLinkOptions,
  type SerialLinkReader,
  type SerialLinkState,
} from '../serial-link.js';

/**
 * A SerialLink over a raw TCP byte stream: QEMU `-chardev socket,server=on`, ser2net in raw mode,
 * or any console server that passes bytes through unchanged. RFC 2217 (telnet COM-PORT option) is
 * not spoken: a ser2net port configured for telnet would show IAC bytes (0xFF ...) in the log.
 *
 * A dropped connection (QEMU restarted, ser2net reset) is reconnected like a re-enumerated USB
 * adapter: `lost`, then `reopened` with the gap.
 */
export interface TcpSerialLinkOptions extends SerialLinkOptions {
  clock?: Clock;
  /** Give up on the first connection after this long (ms). Default 5000. */
  connectTimeoutMs?: number;
}

export async function openTcpSerialLink(host: string, port: number, options: TcpSerialLinkOptions = {}): Promise<SerialLink> {
  const link = new TcpSerialLink(host, port, options);
  await link.openFirst();
  return link;
}

class TcpSerialLink implements SerialLink {
  readonly description: string;
  private readonly slot = new SerialLinkReaderSlot();
  private readonly clock: Clock;
  private socket: Socket | undefined;
  private currentState: SerialLinkState = 'reconnecting';
  private lostAt = 0;
  private pollTimer: TimerHandle | undefined;
  private closing = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly options: TcpSerialLinkOptions,
  ) {
    this.description = `tcp:${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.clock = options.clock ?? systemClock;
  }

  get state(): SerialLinkState {
    return this.currentState;
  }

  setReader(reader: SerialLinkReader): void {
    this.slot.set(reader);
  }

  async openFirst(): Promise<void> {
    try {
      await this.connect(this.options.connectTimeoutMs ?? 5000);
    } catch (err) {
      throw new BoardkitError('E_TCP_CONNECT', 'device', `cannot connect to console ${this.description}`, {
        cause: err,
        hint: 'is QEMU (-chardev socket,...,server=on) or ser2net listening on that port?',
      });
    }
  }

  private connect(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = new Socket();
      const timer = this.clock.setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        timer.cancel();
        socket.destroy();
        reject(err);
      });
      socket.connect(this.port, this.host, () => {
        timer.cancel();
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        if (this.closing) {
          socket.destroy();
          resolve();
          return;
        }
        this.socket = socket;
        this.currentState = 'open';
        socket.on('data', (chunk: Buffer) => this.slot.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
        socket.on('error', () => {
          /* followed by 'close' */
        });
        socket.once('close', () => this.onClosed(socket));
        resolve();
      });
    });
  }

  private onClosed(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    if (this.closing) return;
    if (!(this.options.reconnect?.enabled ?? true)) {
      this.finish(new BoardkitError('E_SERIAL_LOST', 'device', `console ${this.description} closed the connection`));
      return;
    }
    this.currentState = 'reconnecting';
    this.lostAt = this.clock.now();
    this.slot.event({ type: 'lost', reason: 'connection closed' });
    this.schedulePoll();
  }

  private schedulePoll(): void {
    this.pollTimer = this.clock.setTimeout(() => void this.poll(), this.options.reconnect?.pollMs ?? 100);
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (this.closing) return;
    try {
      await this.connect(1000);
      if (this.socket) this.slot.event({ type: 'reopened', path: this.description, gapMs: Math.round(this.clock.now() - this.lostAt) });
      return;
    } catch {
      /* not listening yet */
    }
    if (this.closing) return;
    const gap = this.clock.now() - this.lostAt;
    if (gap >= (this.options.reconnect?.giveUpMs ?? 60_000)) {
      this.finish(new BoardkitError('E_SERIAL_LOST', 'device', `console ${this.description} did not come back within ${Math.round(gap)} ms`));
      return;
    }
    this.schedulePoll();
  }

  private finish(error?: Error): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.pollTimer?.cancel();
    this.slot.event(error ? { type: 'closed', error } : { type: 'closed' });
  }

  write(data: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket || this.currentState !== 'open') {
      return Promise.reject(new BoardkitError('E_SERIAL_DOWN', 'device', `console ${this.description} is not connected (${this.currentState})`));
    }
    return new Promise<void>((resolve, reject) => {
      socket.write(data, (err) => {
        if (err) reject(new BoardkitError('E_SERIAL_WRITE', 'device', `write to ${this.description} failed`, { cause: err }));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.pollTimer?.cancel();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        socket.destroySoon();
        // A peer that never acknowledges the FIN must not keep us here.
        this.clock.setTimeout(() => {
          socket.destroy();
          resolve();
        }, 500);
      });
    }
    this.finish();
  }
}
