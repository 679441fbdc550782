import { access } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { systemClock, type Clock } from '../../core/clock.js';
import { BoardkitError } from '../../core/errors.js';
import { ReconnectLoop } from '../reconnect-loop.js';
import type { SerialLink, SerialLinkOptions, SerialLinkReader, SerialLinkState } from '../serial-link.js';

/**
 * A SerialLink over the `serialport` package: real UARTs and QEMU/socat ptys take the same path.
 *
 * serialport flushes the tty (TCIOFLUSH) when it opens a port, so bytes the device sent before the
 * open are gone by design; the reader starts at the open. Linux ports are opened with an exclusive
 * flock (`lock: true`) so two boardkit processes never share a console; the lock is released by
 * every close path (explicit close, disconnect, failed reopen, giving up).
 */
export interface SerialPortLinkOptions extends SerialLinkOptions {
  clock?: Clock;
}

export async function openSerialPortLink(path: string, options: SerialPortLinkOptions = {}): Promise<SerialLink> {
  const link = new SerialPortLink(path, options);
  await link.openFirst();
  return link;
}

/** Finds the current device path of a USB serial adapter by its serial number. */
export async function findPortBySerialNumber(serialNumber: string): Promise<string | undefined> {
  const ports = await SerialPort.list();
  return ports.find((p) => p.serialNumber === serialNumber)?.path;
}

class SerialPortLink implements SerialLink {
  readonly description: string;
  private readonly loop: ReconnectLoop;
  private port: SerialPort | undefined;

  constructor(
    private readonly path: string,
    private readonly options: SerialPortLinkOptions,
  ) {
    this.description = options.serialNumber ? `serial:${options.serialNumber}` : path;
    this.loop = new ReconnectLoop({
      clock: options.clock ?? systemClock,
      reconnect: options.reconnect,
      attemptOpen: () => this.reopen(),
      giveUpError: (gapMs) =>
        new BoardkitError('E_SERIAL_LOST', 'device', `serial port ${this.description} did not come back within ${gapMs} ms`, {
          hint: 'use a stable path (/dev/serial/by-id/...) or serial:SERIALNUMBER so a re-enumerated adapter is found again',
        }),
      measureGap: 'before-attempt',
    });
  }

  get state(): SerialLinkState {
    return this.loop.state;
  }

  setReader(reader: SerialLinkReader): void {
    this.loop.setReader(reader);
  }

  async openFirst(): Promise<void> {
    const path = await this.resolvePath();
    if (!path) {
      throw new BoardkitError('E_SERIAL_NOT_FOUND', 'usage', `no serial port with serial number ${this.options.serialNumber}`, {
        hint: 'list adapters with `ls -l /dev/serial/by-id/` and check the cable',
      });
    }
    try {
      await this.openPort(path);
    } catch (err) {
      throw openError(path, err);
    }
  }

  private async resolvePath(): Promise<string | undefined> {
    if (this.options.serialNumber) return findPortBySerialNumber(this.options.serialNumber);
    return this.path;
  }

  /** One poll of the reconnect loop: rejects while the adapter is not back (ENOENT) or still busy. */
  private async reopen(): Promise<string | undefined> {
    const path = await this.resolvePath();
    if (!path) throw new Error(`no serial port with serial number ${this.options.serialNumber} yet`);
    await access(path);
    await this.openPort(path);
    return this.port ? path : undefined;
  }

  private openPort(path: string): Promise<void> {
    const port = new SerialPort({ path, baudRate: this.options.baudRate ?? 115200, autoOpen: false, lock: true, hupcl: false });
    return new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(err);
          return;
        }
        if (this.loop.closing) {
          port.close(() => resolve());
          return;
        }
        this.port = port;
        this.loop.opened();
        port.on('data', (chunk: Buffer) => this.loop.slot.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
        port.on('error', () => {
          /* read/write errors end in 'close' with a disconnect error; nothing to do here */
        });
        port.once('close', (closeErr: (Error & { disconnected?: boolean }) | null) => this.onPortClosed(port, closeErr));
        resolve();
      });
    });
  }

  private onPortClosed(port: SerialPort, err: (Error & { disconnected?: boolean }) | null): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.loop.lost(
      err?.message ?? 'port closed',
      () => new BoardkitError('E_SERIAL_LOST', 'device', `serial port ${this.description} disappeared`, { cause: err ?? undefined }),
    );
  }

  write(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port || this.loop.state !== 'open') {
      return Promise.reject(new BoardkitError('E_SERIAL_DOWN', 'device', `serial port ${this.description} is not open (${this.loop.state})`));
    }
    return new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), (err) => {
        if (err) reject(new BoardkitError('E_SERIAL_WRITE', 'device', `write to ${this.description} failed`, { cause: err }));
        else port.drain(() => resolve());
      });
    });
  }

  async close(): Promise<void> {
    if (!this.loop.beginClose()) return;
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.loop.finish();
  }
}

/**
 * Why the first open failed, as the kind the CLI maps to an exit code: a path that does not exist
 * is the caller's (usage, 2, naming it); a port that exists but cannot be used is infrastructure
 * (4); a permission the user lacks is host setup (3).
 */
function openError(path: string, err: unknown): BoardkitError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/lock/i.test(msg)) {
    return new BoardkitError('E_SERIAL_BUSY', 'infrastructure', `serial port ${path} is in use by another process`, {
      cause: err,
      hint: `find it with \`fuser -v ${path}\` and close that program (screen, minicom, another boardkit)`,
    });
  }
  if (/ENOENT|No such file/i.test(msg)) {
    return new BoardkitError('E_SERIAL_NOT_FOUND', 'usage', `serial port ${path} does not exist`, {
      cause: err,
      hint: 'check the path and the cable; `ls -l /dev/serial/by-id/` lists USB serial adapters',
    });
  }
  if (/EACCES|permission/i.test(msg)) {
    return new BoardkitError('E_SERIAL_PERMISSION', 'environment', `no permission to open ${path}`, {
      cause: err,
      hint: 'add yourself to the dialout group: sudo usermod -aG dialout $USER (then log in again)',
    });
  }
  return new BoardkitError('E_SERIAL_OPEN', 'infrastructure', `cannot open serial port ${path}: ${msg}`, { cause: err });
}
