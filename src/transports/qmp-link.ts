/**
 * A line-oriented connection to a QEMU Machine Protocol (QMP) server: QMP messages are JSON
 * objects, one per line (QEMU docs/interop/qmp-spec.rst §2). The QMP client in `emulator/` speaks
 * the protocol; this interface only moves lines. Implementation: `node/qmp-socket.ts` (unix socket).
 *
 * Lifecycle: connected when the factory resolves → `close()` once, or closed by the peer (QEMU
 * exiting). After close, `write` rejects and no more lines are delivered; close handlers run once.
 */
export interface QmpTransport {
  /** Writes one message; the transport appends the newline. */
  write(text: string): Promise<void>;
  /** Registers the receiver of complete lines (one receiver per transport). */
  onLine(handler: (line: string) => void): void;
  /** Called once when the connection ends, with the error if it ended by one. */
  onClose(handler: (error?: Error) => void): void;
  close(): Promise<void>;
}

export interface QmpConnectOptions {
  signal?: AbortSignal;
  /** Keep retrying while the socket does not exist yet / refuses, up to this many ms. Default 5000. */
  retryForMs?: number;
}

/** Connects to a QMP server listening on a unix socket path. */
export type QmpConnector = (socketPath: string, options?: QmpConnectOptions) => Promise<QmpTransport>;
