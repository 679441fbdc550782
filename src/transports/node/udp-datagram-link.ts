/**
 * Kernel UDP sockets (node:dgram) as a DatagramNetwork: each `bind` opens one IPv4/IPv6 socket.
 * Port 0 asks the kernel for a fresh ephemeral port (a TFTP transfer's TID).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { BoardkitError } from '../../core/errors.js';
import type { Datagram, DatagramAddress, DatagramLink } from '../datagram-link.js';
import type { TftpPump, TftpPumpNetwork } from '../tftp-pump.js';
import { loadNativeTftpPump, type NativePumpOptions } from './native-tftp-pump.js';

export interface UdpNetworkOptions {
  /** Kernel receive buffer per socket (bytes); large windows on loopback need more than the default. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /**
   * Serve TFTP reads through the native pump (default true when it is built; see
   * native-tftp-pump.ts). `false` keeps every datagram in the TypeScript engine.
   */
  nativePump?: boolean | NativePumpOptions;
}

const resolved = Promise.resolve();

export class UdpDatagramLink implements DatagramLink {
  private handler: ((d: Datagram) => void) | undefined;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly local: DatagramAddress,
  ) {
    socket.on('message', (msg, rinfo) => {
      if (this.closed || !this.handler) return;
      this.handler({
        data: new Uint8Array(msg.buffer, msg.byteOffset, msg.length),
        from: { address: rinfo.address, port: rinfo.port },
        to: this.local,
      });
    });
    // ICMP port-unreachable etc. surface as socket errors on some platforms; a datagram
    // service treats them as loss rather than crashing.
    socket.on('error', () => {});
  }

  static async open(local: Partial<DatagramAddress>, options: UdpNetworkOptions = {}): Promise<UdpDatagramLink> {
    const address = local.address ?? '0.0.0.0';
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.bind({ address, port: local.port ?? 0, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      socket.close();
      throw new BoardkitError('E_UDP_BIND', err.code === 'EACCES' ? 'environment' : 'infrastructure', `cannot bind UDP ${address}:${local.port ?? 0}: ${err.message}`, {
        cause: err,
        hint:
          err.code === 'EACCES'
            ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE; use a high port'
            : err.code === 'EADDRINUSE'
              ? 'another process (tftpd-hpa, dnsmasq?) already listens there'
              : 'check the address belongs to this host',
      });
    });
    if (options.recvBufferSize) socket.setRecvBufferSize(options.recvBufferSize);
    if (options.sendBufferSize) socket.setSendBufferSize(options.sendBufferSize);
    const a = socket.address();
    return new UdpDatagramLink(socket, { address: a.address, port: a.port });
  }

  send(data: Uint8Array, to: DatagramAddress): Promise<void> {
    if (this.closed) return Promise.reject(new BoardkitError('E_LINK_CLOSED', 'infrastructure', 'UDP link is closed'));
    this.socket.send(data, to.port, to.address);
    return resolved;
  }

  /**
   * Sends without a promise (the TFTP hot path): a datagram on a closed link is dropped.
   * No completion callback either: Node then skips a per-datagram completion round trip, which is
   * most of the cost of lock-step TFTP. Failures (ENOBUFS, unreachable) are loss; TFTP recovers by timeout.
   */
  sendNow(data: Uint8Array, to: DatagramAddress): void {
    if (!this.closed) this.socket.send(data, to.port, to.address);
  }

  onMessage(handler: (dgram: Datagram) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // dgram resolves the address on process.nextTick before sending; closing first would drop a
    // datagram just sent (a last ACK or ERROR). setImmediate runs after all pending nextTicks.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

export class UdpDatagramNetwork implements TftpPumpNetwork {
  readonly tftpPump: TftpPump | undefined;
  /** Why `tftpPump` is undefined, when it is. */
  readonly tftpPumpMissing: string | undefined;

  constructor(private readonly options: UdpNetworkOptions = {}) {
    const want = options.nativePump ?? true;
    const pump = want === false ? { value: undefined, reason: 'turned off' } : loadNativeTftpPump(want === true ? {} : want);
    this.tftpPump = pump.value;
    this.tftpPumpMissing = pump.reason;
  }

  bind(local: Partial<DatagramAddress>): Promise<DatagramLink> {
    return UdpDatagramLink.open(local, this.options);
  }
}
