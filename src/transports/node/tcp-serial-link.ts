import { Socket } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.js';
import { BoardkitError } from '../../core/errors.js';
import { ReconnectLoop } from '../reconnect-loop.js';
import type { SerialLink, SerialLinkOptions, SerialLinkReader, SerialLinkState } from '../serial-link.js';

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
  private readonly clock: Clock;
  private readonly loop: ReconnectLoop;
  private socket: Socket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly options: TcpSerialLinkOptions,
  ) {
    this.description = `tcp:${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.clock = options.clock ?? systemClock;
    this.loop = new ReconnectLoop({
      clock: this.clock,
      reconnect: options.reconnect,
      // Rejects while nothing listens yet; a listener that accepted and dropped us already is not reported.
      attemptOpen: async () => {
        await this.connect(1000);
        return this.socket ? this.description : undefined;
      },
      giveUpError: (gapMs) => new BoardkitError('E_SERIAL_LOST', 'device', `console ${this.description} did not come back within ${gapMs} ms`),
      measureGap: 'after-attempt',
    });
  }

  get state(): SerialLinkState {
    return this.loop.state;
  }

  setReader(reader: SerialLinkReader): void {
    this.loop.setReader(reader);
  }

  async openFirst(): Promise<void> {
    try {
      await this.connect(this.options.connectTimeoutMs ?? 5000);
    } catch (err) {
      // Nothing listening (refused) or no answer: the console is unreachable, infrastructure (exit 4).
      const why = err instanceof Error ? err.message : String(err);
      throw new BoardkitError('E_TCP_CONNECT', 'infrastructure', `cannot connect to console ${this.description}: ${why}`, {
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
        if (this.loop.closing) {
          socket.destroy();
          resolve();
          return;
        }
        this.socket = socket;
        this.loop.opened();
        socket.on('data', (chunk: Buffer) => this.loop.slot.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
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
    this.loop.lost('connection closed', () => new BoardkitError('E_SERIAL_LOST', 'device', `console ${this.description} closed the connection`));
  }

  write(data: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket || this.loop.state !== 'open') {
      return Promise.reject(new BoardkitError('E_SERIAL_DOWN', 'device', `console ${this.description} is not connected (${this.loop.state})`));
    }
    return new Promise<void>((resolve, reject) => {
      socket.write(data, (err) => {
        if (err) reject(new BoardkitError('E_SERIAL_WRITE', 'device', `write to ${this.description} failed`, { cause: err }));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (!this.loop.beginClose()) return;
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
    this.loop.finish();
  }
}
