/**
 * A TFTP server composed from the pure engines (`protocols/tftp`) over an injected
 * DatagramNetwork (kernel UDP, the userspace stack, or the lossy fake) and Clock.
 *
 * Lifecycle: `new TftpServer(options)` → `await start()` (binds the listen port) → transfers run,
 * each on a fresh local port (its TID) → `await close()` ends every transfer and unbinds. The server
 * never prints: it reports typed events through `onEvent`.
 *
 * Each transfer's loop lives in `tftp-transfer.ts`. On a network that offers a bulk TFTP pump
 * (kernel UDP with the native addon built), the data phase of a read runs there instead
 * (`tftp-pump-transfer.ts`); uploads, and networks without a pump, stay in TypeScript.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { DatagramAddress, DatagramLink, Datagram } from '../transports/datagram-link.js';
import { TFTP_DEFAULTS, TFTP_PORT } from '../protocols/tftp/defaults.js';
import { toNetascii } from '../protocols/tftp/netascii.js';
import { isRefusal, negotiate, type NegotiationPolicy } from '../protocols/tftp/options.js';
import { ErrorCode, decodePacket, encodeError, encodeOack, parseMode, type RequestPacket } from '../protocols/tftp/packet.js';
import { TftpReceiver } from '../protocols/tftp/receiver.js';
import { TftpSender, type BlockSource } from '../protocols/tftp/sender.js';
import { FileRoot, TftpFileError, UploadRoot, validateTftpFilename, type ClientInfo, type UploadFile } from './file-root.js';
import { memorySource } from './generated-files.js';
import { Transfer, closeSource, sendQuietly } from './tftp-transfer.js';
import { PumpTransfer, pumpSource } from './tftp-pump-transfer.js';
import type { TftpServerEvent, TftpServerOptions, TftpTransferInfo, TransferContext } from './tftp-types.js';

export type { TftpEngine, TftpServerEvent, TftpServerOptions, TftpTransferInfo } from './tftp-types.js';

const addrKey = (a: DatagramAddress) => `${a.address}|${a.port}`;

export class TftpServer {
  private readonly clock: Clock;
  private listenLink: DatagramLink | undefined;
  /** Live transfers (and requests being set up) by client address+port: also merges duplicate RRQs. */
  private readonly transfers = new Map<string, Transfer | PumpTransfer | 'pending'>();
  private readonly perClient = new Map<string, number>();
  /** Finished uploads still re-ACKing a retransmitted last DATA (RFC 1350 §6 "dally"). */
  private readonly lingering = new Set<DatagramLink>();
  private readonly root: FileRoot | undefined;
  private readonly uploads: UploadRoot | undefined;
  private nextId = 1;
  private readonly ctx: TransferContext;
  private closed = false;
  /** Highest number of simultaneously live transfers seen (for tests and stats). */
  peakTransfers = 0;

  constructor(private readonly options: TftpServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.root = typeof options.root === 'string' ? new FileRoot(options.root) : options.root;
    this.uploads = options.uploadRoot ? new UploadRoot(options.uploadRoot) : undefined;
    this.ctx = {
      clock: this.clock,
      emit: (e) => this.emit(e),
      release: (c) => this.release(c),
      options,
      lingering: this.lingering,
      closed: () => this.closed,
    };
  }

  get address(): DatagramAddress {
    if (!this.listenLink) throw new Error('TftpServer not started');
    return this.listenLink.local;
  }

  /** Live transfers (including requests being set up). */
  get activeTransfers(): number {
    return this.transfers.size;
  }

  async start(): Promise<DatagramAddress> {
    const link = await this.options.network.bind(this.options.listen ?? { address: '0.0.0.0', port: TFTP_PORT });
    this.listenLink = link;
    link.onMessage((d) => this.onRequestDatagram(d));
    this.emit({ type: 'listening', address: link.local, engine: this.options.network.tftpPump ? 'native-pump' : 'typescript' });
    return link.local;
  }

  async close(): Promise<void> {
    this.closed = true;
    const live = [...this.transfers.values()].filter((t): t is Transfer | PumpTransfer => t !== 'pending');
    await Promise.all(live.map((t) => t.stop({ status: 'failed', reason: 'protocol', message: 'server closing' }, 'server is shutting down')));
    await Promise.all([...this.lingering].map((l) => l.close()));
    this.lingering.clear();
    await this.listenLink?.close();
  }

  private emit(e: TftpServerEvent): void {
    this.options.onEvent?.(e);
  }

  private sendFromListen(code: number, message: string, to: DatagramAddress, file = ''): void {
    this.emit({ type: 'request-refused', client: to, file, code, message });
    if (this.listenLink) sendQuietly(this.listenLink, encodeError(code, message), to);
  }

  private onRequestDatagram(d: Datagram): void {
    if (this.closed) return;
    const p = decodePacket(d.data);
    if (p.op === 'MALFORMED') {
      this.emit({ type: 'bad-datagram', client: d.from, reason: p.reason });
      // Never answer something that might be an ERROR (no error loops between servers).
      if (p.opcode !== 5) this.sendFromListen(ErrorCode.ILLEGAL_OPERATION, p.opcode !== undefined && p.opcode >= 1 && p.opcode <= 6 ? 'malformed packet' : 'illegal TFTP operation', d.from);
      return;
    }
    if (p.op === 'ERROR') return;
    if (p.op !== 'RRQ' && p.op !== 'WRQ') {
      this.sendFromListen(ErrorCode.ILLEGAL_OPERATION, `${p.op} sent to the request port`, d.from);
      return;
    }
    const key = addrKey(d.from);
    if (this.transfers.has(key)) {
      // A retransmitted request (or the Pi's concurrent duplicates): the live transfer answers.
      this.emit({ type: 'request-dropped', client: d.from, file: p.filename, reason: 'duplicate' });
      return;
    }
    const clientCount = this.perClient.get(d.from.address) ?? 0;
    if (this.transfers.size >= (this.options.maxTransfers ?? TFTP_DEFAULTS.maxTransfers) || clientCount >= (this.options.maxTransfersPerClient ?? TFTP_DEFAULTS.maxTransfersPerClient)) {
      // Ignored rather than refused: the client retries its RRQ and gets served once a slot frees.
      this.emit({ type: 'request-dropped', client: d.from, file: p.filename, reason: 'cap' });
      return;
    }
    const mode = parseMode(p.mode);
    if (!mode) {
      this.sendFromListen(ErrorCode.ILLEGAL_OPERATION, `unsupported mode '${p.mode}'`, d.from, p.filename);
      return;
    }
    this.transfers.set(key, 'pending');
    this.perClient.set(d.from.address, clientCount + 1);
    this.peakTransfers = Math.max(this.peakTransfers, this.transfers.size);
    this.setUp(p, mode, d.from).catch((err: unknown) => {
      this.release(d.from);
      const code = err instanceof TftpFileError ? err.tftpCode : ErrorCode.UNDEFINED;
      this.sendFromListen(code, err instanceof Error ? err.message : 'internal error', d.from, p.filename);
    });
  }

  private release(client: DatagramAddress): void {
    if (!this.transfers.delete(addrKey(client))) return;
    const n = (this.perClient.get(client.address) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(client.address);
    else this.perClient.set(client.address, n);
  }

  private async setUp(req: RequestPacket, mode: 'octet' | 'netascii', from: DatagramAddress): Promise<void> {
    const extra = (await this.options.clientInfo?.(from)) ?? {};
    const client: ClientInfo = { ...extra, address: from.address, port: from.port };
    const o = this.options;
    const policy: NegotiationPolicy = { blksizeMax: o.blksizeMax ?? TFTP_DEFAULTS.blksizeMax, pathMtu: o.pathMtu ?? TFTP_DEFAULTS.pathMtu, windowsizeMax: o.windowsizeMax ?? TFTP_DEFAULTS.windowsizeMax };
    let source: BlockSource | undefined;
    let upload: UploadFile | undefined;
    let origin: TftpTransferInfo['origin'];
    if (req.op === 'WRQ') {
      if (!this.uploads) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, 'server is read-only');
      upload = await this.uploads.create(req.filename, req.filenameUtf8);
      origin = 'upload';
    } else {
      const v = validateTftpFilename(req.filename, req.filenameUtf8);
      if (!v.ok) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, `refused: ${v.reason}`);
      const generated = await o.generated?.(client, v.parts.join('/'));
      if (generated) {
        source = memorySource(generated);
        origin = 'generated';
      } else if (this.root) {
        source = await this.root.open(req.filename, client, req.filenameUtf8);
        origin = 'root';
      } else throw new TftpFileError(ErrorCode.NOT_FOUND, 'file not found');
      if (mode === 'netascii') {
        const raw = source.read(0, source.size);
        closeSource(source);
        source = memorySource(toNetascii(raw));
      }
    }
    const neg = negotiate(req.op, req.options, policy, source?.size);
    if (isRefusal(neg)) {
      closeSource(source);
      upload?.abort();
      throw new TftpFileError(neg.code, neg.message);
    }
    const maxUploadBytes = o.maxUploadBytes ?? TFTP_DEFAULTS.maxUploadBytes;
    if (upload && neg.tsizeValue !== undefined && neg.tsizeValue > maxUploadBytes) {
      upload.abort();
      throw new TftpFileError(ErrorCode.DISK_FULL, 'announced upload size exceeds the limit');
    }
    const retransmitMs = neg.timeoutS !== undefined ? neg.timeoutS * 1000 : (o.retransmitMs ?? TFTP_DEFAULTS.retransmitMs);
    const timing = { retransmitMs, maxRetransmitMs: Math.max(retransmitMs, o.maxRetransmitMs ?? TFTP_DEFAULTS.maxRetransmitMs), maxRetries: o.maxRetries ?? TFTP_DEFAULTS.maxRetries };
    // The pump takes a read whose source it can send and whose negotiated values are within its own limits.
    const pump = o.network.tftpPump;
    const pumped = pump && source && pumpSource(source) && neg.windowsize <= pump.limits.maxWindowsize && neg.blksize <= pump.limits.maxBlksize ? pump : undefined;
    const info: TftpTransferInfo = {
      id: this.nextId++,
      op: req.op,
      client: from,
      file: req.filename,
      mode,
      blksize: neg.blksize,
      windowsize: neg.windowsize,
      size: req.op === 'RRQ' ? source!.size : neg.tsizeValue,
      origin,
      engine: pumped ? 'native-pump' : 'typescript',
    };
    if (pumped && source) {
      if (this.closed) {
        closeSource(source);
        this.release(from);
        return;
      }
      const t = new PumpTransfer(this.ctx, info, source);
      try {
        t.begin(pumped, this.listenLink!.local.address, { oack: neg.oack.length > 0 ? encodeOack(neg.oack) : undefined, ...timing });
      } catch (err) {
        closeSource(source);
        throw err;
      }
      this.transfers.set(addrKey(from), t);
      this.emit({ type: 'transfer-start', transfer: info });
      return;
    }
    let link: DatagramLink;
    try {
      link = await o.network.bind({ address: this.listenLink!.local.address, port: 0 });
    } catch (err) {
      closeSource(source);
      upload?.abort();
      throw err;
    }
    if (this.closed) {
      closeSource(source);
      upload?.abort();
      await link.close();
      this.release(from);
      return;
    }
    const common = { blksize: neg.blksize, windowsize: neg.windowsize, oack: neg.oack, ...timing };
    const engine = upload
      ? new TftpReceiver({ ...common, sink: (c) => upload.write(c), maxBytes: maxUploadBytes })
      : new TftpSender({ ...common, source: source! });
    const t = new Transfer(this.ctx, info, link, engine, source, upload);
    this.transfers.set(addrKey(from), t);
    this.emit({ type: 'transfer-start', transfer: info });
    t.begin();
  }
}
