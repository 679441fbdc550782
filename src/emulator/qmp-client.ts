import { BoardkitError } from '../core/errors.js';
import type { QmpTransport } from '../transports/qmp-link.js';

/**
 * A QMP client over a line transport (QEMU docs/interop/qmp-spec.rst): waits for the greeting,
 * negotiates with `qmp_capabilities`, then runs one command at a time (QMP answers in order;
 * `id` is still set so a stray reply can never be mistaken for another's) and fans out events.
 */
export interface QmpEvent {
  /** E.g. `RESET`, `SHUTDOWN`, `POWERDOWN`, `STOP`, `RESUME`. */
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** Host time of the event in ms since the epoch, from QEMU's own timestamp. */
  readonly timestampMs: number;
}

export class QmpError extends BoardkitError {
  constructor(command: string, klass: string, desc: string) {
    super('E_QMP', 'infrastructure', `QMP ${command} failed: ${klass}: ${desc}`, { details: { command, class: klass } });
  }
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class QmpClient {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(event: QmpEvent) => void>();
  private nextId = 1;
  private closedError: Error | undefined;
  private greeting: ((g: unknown) => void) | undefined;
  private readonly greeted: Promise<unknown>;

  private constructor(private readonly transport: QmpTransport) {
    this.greeted = new Promise((resolve) => (this.greeting = resolve));
    transport.onLine((line) => this.onLine(line));
    transport.onClose((err) => this.onClosed(err));
  }

  /** Waits for the greeting and leaves negotiation mode. Rejects if the connection closes first. */
  static async open(transport: QmpTransport): Promise<QmpClient> {
    const client = new QmpClient(transport);
    await Promise.race([
      client.greeted,
      new Promise((_, reject) => transport.onClose((err) => reject(client.closedErrorOr(err)))),
    ]);
    await client.execute('qmp_capabilities');
    return client;
  }

  private closedErrorOr(err?: Error): Error {
    return new BoardkitError('E_QMP_CLOSED', 'infrastructure', 'QMP connection closed (QEMU exited?)', { cause: err });
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QMP never sends non-JSON lines; ignore noise rather than tear down the session.
    }
    if ('QMP' in msg) {
      this.greeting?.(msg.QMP);
      return;
    }
    if (typeof msg.event === 'string') {
      const ts = msg.timestamp as { seconds?: number; microseconds?: number } | undefined;
      const event: QmpEvent = {
        event: msg.event,
        data: (msg.data as Record<string, unknown> | undefined) ?? {},
        timestampMs: ts?.seconds !== undefined ? ts.seconds * 1000 + Math.floor((ts.microseconds ?? 0) / 1000) : Date.now(),
      };
      for (const l of this.listeners) l(event);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id !== undefined ? this.pending.get(id) : undefined;
    if (!p || id === undefined) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const e = msg.error as { class?: string; desc?: string };
      p.reject(new QmpError(p.command, e.class ?? 'GenericError', e.desc ?? ''));
    } else p.resolve(msg.return);
  }

  private onClosed(err?: Error): void {
    this.closedError = this.closedErrorOr(err);
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Runs a command and resolves with its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = `bk${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
      const msg = args ? { execute: command, arguments: args, id } : { execute: command, id };
      this.transport.write(JSON.stringify(msg)).catch((err: unknown) => {
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
