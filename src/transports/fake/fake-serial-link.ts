import { BoardkitError } from '../../core/errors.js';
import {
  SerialLinkReaderSlot,
  type SerialLink,
  type SerialLinkReader,
  type SerialLinkState,
} from '../serial-link.js';

/**
 * An in-memory SerialLink for unit tests: the test plays the device (`feed`), pulls the cable
 * (`disconnect` / `reconnect`), and reads what the host wrote (`written`, `onWrite`).
 */
export class FakeSerialLink implements SerialLink {
  readonly description: string;
  private readonly slot = new SerialLinkReaderSlot();
  private currentState: SerialLinkState = 'open';
  private readonly writes: Uint8Array[] = [];
  /** Called for every write (e.g. to echo, or to answer a command). */
  onWrite: ((data: Uint8Array) => void) | undefined;

  constructor(description = 'fake') {
    this.description = description;
  }

  get state(): SerialLinkState {
    return this.currentState;
  }

  setReader(reader: SerialLinkReader): void {
    this.slot.set(reader);
  }

  /** The device sends bytes (strings are UTF-8). Ignored unless the link is open, like a real cable. */
  feed(data: string | Uint8Array): void {
    if (this.currentState !== 'open') return;
    this.slot.data(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }

  disconnect(reason = 'device disappeared'): void {
    if (this.currentState !== 'open') return;
    this.currentState = 'reconnecting';
    this.slot.event({ type: 'lost', reason });
  }

  reconnect(gapMs = 0, path = this.description): void {
    if (this.currentState !== 'reconnecting') return;
    this.currentState = 'open';
    this.slot.event({ type: 'reopened', path, gapMs });
  }

  /** The link gives up (as a real one does after `giveUpMs`). */
  fail(error: Error = new BoardkitError('E_SERIAL_LOST', 'device', `${this.description} is gone`)): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.slot.event({ type: 'closed', error });
  }

  /** Everything written so far, concatenated. */
  written(): Uint8Array {
    return Buffer.concat(this.writes);
  }

  writtenText(): string {
    return new TextDecoder().decode(this.written());
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.currentState !== 'open') {
      throw new BoardkitError('E_SERIAL_DOWN', 'device', `${this.description} is not open (${this.currentState})`);
    }
    this.writes.push(data.slice());
    this.onWrite?.(data);
  }

  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.slot.event({ type: 'closed' });
  }
}
