/**
 * A byte stream to a board's console: a real UART (USB serial adapter), a QEMU pty, a TCP socket
 * (QEMU `-chardev socket`, ser2net raw) or a fake.
 *
 * Lifecycle: a link is open when its factory resolves. Its single reader starts at that moment:
 * bytes that arrive before `setReader` is called are buffered and delivered first, so nothing is
 * lost between opening the port and the first expect. A link whose device disappears (a USB serial
 * adapter re-enumerating after reset or flash, a QEMU restart) reports `lost`; when reconnecting is
 * enabled it reopens the same stable path (or serial number) and reports `reopened` with the gap.
 * `closed` is final: either `close()` was called or the link gave up. Port locks are released on
 * every path that ends in `closed`.
 */
export type SerialLinkEvent =
  | { type: 'lost'; reason: string }
  | { type: 'reopened'; path: string; gapMs: number }
  | { type: 'closed'; error?: Error };

export interface SerialLinkReader {
  data(chunk: Uint8Array): void;
  event(event: SerialLinkEvent): void;
}

export type SerialLinkState = 'open' | 'reconnecting' | 'closed';

export interface SerialLink {
  /** What the user named: a device path or `tcp:HOST:PORT`. */
  readonly description: string;
  readonly state: SerialLinkState;
  /** Registers the one reader; buffered bytes and events are delivered to it synchronously first. */
  setReader(reader: SerialLinkReader): void;
  /** Resolves once the bytes are handed to the OS. Rejects when the link is not open. */
  write(data: Uint8Array): Promise<void>;
  /** Idempotent. Releases the port (and its lock); the reader then gets `closed`. */
  close(): Promise<void>;
}

export interface ReconnectOptions {
  /** Reopen after the device disappears. Default true for device paths and TCP. */
  enabled?: boolean;
  /** How often to look for the device again (ms). Default 100. */
  pollMs?: number;
  /** Give up (the link becomes `closed` with an error) after this long without a device (ms). Default 60000. */
  giveUpMs?: number;
}

export interface SerialLinkOptions {
  /** UART speed; ignored by TCP and ptys. Default 115200. */
  baudRate?: number;
  reconnect?: ReconnectOptions;
  /**
   * For USB adapters: find the device by its USB serial number instead of by path (paths such as
   * /dev/ttyUSB0 can change on re-enumeration; /dev/serial/by-id/... and serial numbers do not).
   */
  serialNumber?: string;
}

/** A parsed link address: `tcp:HOST:PORT`, `serial:SERIALNUMBER` or a device path. */
export type SerialLinkAddress =
  | { kind: 'device'; path: string }
  | { kind: 'serial-number'; serialNumber: string }
  | { kind: 'tcp'; host: string; port: number };

/** Parses what a user typed as PATH. Returns undefined for malformed `tcp:` addresses. */
export function parseSerialLinkAddress(spec: string): SerialLinkAddress | undefined {
  if (spec.startsWith('tcp:')) {
    const rest = spec.slice(4);
    const i = rest.lastIndexOf(':');
    if (i <= 0) return undefined;
    const host = rest.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    const port = Number(rest.slice(i + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    return { kind: 'tcp', host, port };
  }
  if (spec.startsWith('serial:')) {
    const serialNumber = spec.slice(7);
    return serialNumber ? { kind: 'serial-number', serialNumber } : undefined;
  }
  return spec ? { kind: 'device', path: spec } : undefined;
}

/** Opens a link from a user-typed address; the composition root supplies the Node implementation. */
export type SerialLinkOpener = (spec: string, options?: SerialLinkOptions) => Promise<SerialLink>;

/**
 * Holds what arrives before the reader is registered (implementations share it so every link
 * honours "the reader starts at open").
 */
export class SerialLinkReaderSlot {
  private reader: SerialLinkReader | undefined;
  private pending: Array<{ data: Uint8Array } | { event: SerialLinkEvent }> = [];

  set(reader: SerialLinkReader): void {
    if (this.reader) throw new Error('a SerialLink has exactly one reader');
    this.reader = reader;
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      if ('data' in p) reader.data(p.data);
      else reader.event(p.event);
    }
  }

  data(chunk: Uint8Array): void {
    if (this.reader) this.reader.data(chunk);
    else this.pending.push({ data: chunk });
  }

  event(event: SerialLinkEvent): void {
    if (this.reader) this.reader.event(event);
    else this.pending.push({ event });
  }
}
