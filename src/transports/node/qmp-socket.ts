import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfAborted } from '../../core/abort.js';
import { BoardkitError } from '../../core/errors.js';
import type { QmpConnectOptions, QmpTransport } from '../qmp-link.js';

/** Errors that mean "QEMU has not created/started listening on the socket yet". */
const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

/** Connects to QEMU's `-qmp unix:PATH,server=on,wait=off` socket, retrying while it appears. */
export async function connectQmpSocket(socketPath: string, options: QmpConnectOptions = {}): Promise<QmpTransport> {
  const deadline = Date.now() + (options.retryForMs ?? 5000);
  for (;;) {
    throwIfAborted(options.signal);
    try {
      const socket = await openSocket(socketPath);
      return new SocketQmpTransport(socket);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!RETRYABLE.has(code) || Date.now() >= deadline) {
        throw new BoardkitError('E_QMP_CONNECT', 'infrastructure', `cannot connect to QMP socket ${socketPath}: ${code}`, {
          cause: err,
          hint: 'QEMU may have exited early; check its stderr in the error details',
        });
      }
      await sleep(25);
    }
  }
}

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

class SocketQmpTransport implements QmpTransport {
  private lineHandler: ((line: string) => void) | undefined;
  private readonly closeHandlers: Array<(error?: Error) => void> = [];
  private closed = false;
  private closeError: Error | undefined;
  private pending = '';
  private readonly early: string[] = [];

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closeError = err;
    });
    socket.on('close', () => this.finish());
  }

  private onData(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).trim();
      this.pending = this.pending.slice(nl + 1);
      if (!line) continue;
      // Lines that arrive before a handler is registered (the greeting) are kept, not lost.
      if (this.lineHandler) this.lineHandler(line);
      else this.early.push(line);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers.splice(0)) h(this.closeError);
  }

  write(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new BoardkitError('E_QMP_CLOSED', 'infrastructure', 'QMP connection is closed'));
    return new Promise((resolve, reject) => {
      this.socket.write(`${text}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  onLine(handler: (line: string) => void): void {
    this.lineHandler = handler;
    for (const line of this.early.splice(0)) handler(line);
  }

  onClose(handler: (error?: Error) => void): void {
    if (this.closed) handler(this.closeError);
    else this.closeHandlers.push(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 500).unref();
    });
    this.finish();
  }
}
