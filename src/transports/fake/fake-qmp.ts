import { BoardkitError } from '../../core/errors.js';
import type { QmpConnectOptions, QmpConnector, QmpTransport } from '../qmp-link.js';

/**
 * A QEMU Machine Protocol peer in memory, for tests of code that drives QEMU through a
 * QmpConnector (`connect`). It speaks the wire format of QEMU docs/interop/qmp-spec.rst, written
 * here from the spec, not from our client: a greeting `{"QMP": {...}}` on connect, one JSON reply
 * per command carrying the command's `id`, `{"error": {"class", "desc"}}` for failures, and
 * asynchronous `{"event", "data", "timestamp"}` messages.
 *
 * Scripting: `reply(command, value)` answers with `{"return": value}` (or a function of the
 * command's arguments), `fail(command, class, desc)` with an error, `ignore(command)` never
 * answers (a wedged QEMU). `qmp_capabilities` answers `{}` unless scripted; any other unscripted
 * command gets `CommandNotFound`, as QEMU answers an unknown command. `emit()` sends an event,
 * `hangUp()` closes the connection from QEMU's side (QEMU exiting). `commands` records what the
 * client sent, in order (and `onCommand` sees each as it arrives); `socketPaths` where it connected.
 */
export interface QmpCommandRecord {
  execute: string;
  arguments?: Record<string, unknown>;
}

type Reply = { return: unknown | ((args: Record<string, unknown> | undefined) => unknown) } | { error: { class: string; desc: string } } | 'ignore';

export class FakeQmpServer {
  readonly commands: QmpCommandRecord[] = [];
  readonly socketPaths: string[] = [];
  private readonly replies = new Map<string, Reply>();
  private readonly open = new Set<FakeQmpTransport>();
  /** When set, connecting rejects with this error (no QMP socket, QEMU gone). */
  refuseWith: Error | undefined;

  readonly greeting: Record<string, unknown>;
  private readonly onCommand: ((command: QmpCommandRecord) => void) | undefined;

  constructor(options: { greeting?: Record<string, unknown>; onCommand?: (command: QmpCommandRecord) => void } = {}) {
    this.greeting = options.greeting ?? { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: [] };
    this.onCommand = options.onCommand;
  }

  /** The QmpConnector to inject (`connectQmp`). */
  readonly connect: QmpConnector = async (socketPath: string, options?: QmpConnectOptions): Promise<QmpTransport> => {
    if (options?.signal?.aborted) throw options.signal.reason;
    this.socketPaths.push(socketPath);
    if (this.refuseWith) throw this.refuseWith;
    const transport = new FakeQmpTransport(this);
    this.open.add(transport);
    return transport;
  };

  reply(command: string, value: unknown | ((args: Record<string, unknown> | undefined) => unknown) = {}): this {
    this.replies.set(command, { return: value });
    return this;
  }

  fail(command: string, klass: string, desc: string): this {
    this.replies.set(command, { error: { class: klass, desc } });
    return this;
  }

  ignore(command: string): this {
    this.replies.set(command, 'ignore');
    return this;
  }

  /** Sends an event to every open connection. `at` is the event's host time in ms (default now). */
  emit(event: string, data: Record<string, unknown> = {}, at = Date.now()): void {
    const timestamp = { seconds: Math.floor(at / 1000), microseconds: (at % 1000) * 1000 };
    for (const t of this.open) t.deliver({ event, data, timestamp });
  }

  /** QEMU closes every connection (it exited), optionally with an error. */
  hangUp(error?: Error): void {
    for (const t of [...this.open]) t.end(error);
  }

  get connections(): number {
    return this.open.size;
  }

  /** @internal */
  receive(from: FakeQmpTransport, text: string): void {
    const msg = JSON.parse(text) as { execute?: string; arguments?: Record<string, unknown>; id?: unknown };
    if (typeof msg.execute !== 'string') {
      from.deliver({ error: { class: 'GenericError', desc: 'Invalid JSON syntax' } });
      return;
    }
    const record = { execute: msg.execute, ...(msg.arguments ? { arguments: msg.arguments } : {}) };
    this.commands.push(record);
    this.onCommand?.(record);
    const id = msg.id === undefined ? {} : { id: msg.id };
    const reply = this.replies.get(msg.execute) ?? (msg.execute === 'qmp_capabilities' ? { return: {} } : { error: { class: 'CommandNotFound', desc: `The command ${msg.execute} has not been found` } });
    if (reply === 'ignore') return;
    if ('error' in reply) from.deliver({ error: reply.error, ...id });
    else from.deliver({ return: typeof reply.return === 'function' ? (reply.return as (a: unknown) => unknown)(msg.arguments) : reply.return, ...id });
  }

  /** @internal */
  closed(t: FakeQmpTransport): void {
    this.open.delete(t);
  }
}

class FakeQmpTransport implements QmpTransport {
  private lineHandler: ((line: string) => void) | undefined;
  private readonly closeHandlers: Array<(error?: Error) => void> = [];
  private readonly queued: string[] = [];
  private isClosed = false;

  constructor(private readonly server: FakeQmpServer) {
    this.queued.push(JSON.stringify({ QMP: server.greeting }));
  }

  async write(text: string): Promise<void> {
    if (this.isClosed) throw new BoardkitError('E_QMP_CLOSED', 'infrastructure', 'fake QMP connection is closed');
    // Replies arrive asynchronously, as from a socket.
    queueMicrotask(() => !this.isClosed && this.server.receive(this, text));
  }

  onLine(handler: (line: string) => void): void {
    this.lineHandler = handler;
    for (const line of this.queued.splice(0)) handler(line);
  }

  onClose(handler: (error?: Error) => void): void {
    if (this.isClosed) queueMicrotask(() => handler());
    else this.closeHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.end();
  }

  deliver(message: Record<string, unknown>): void {
    if (this.isClosed) return;
    const line = JSON.stringify(message);
    if (this.lineHandler) this.lineHandler(line);
    else this.queued.push(line);
  }

  end(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.server.closed(this);
    for (const h of this.closeHandlers.splice(0)) h(error);
  }
}
