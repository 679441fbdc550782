/**
 * Kernel UDP for a DHCP server on a lab NIC: a DatagramNetwork whose links can send limited
 * broadcasts (255.255.255.255) out of the interface that owns `sourceAddress`, and receive them.
 *
 * Node's dgram cannot bind to a device (no SO_BINDTODEVICE / IP_PKTINFO), so each link is a pair:
 * - a receive socket on 0.0.0.0:PORT: the only bind that gets broadcasts (a client without an
 *   address sends DISCOVER to 255.255.255.255);
 * - a send socket on SOURCE:PORT with SO_BROADCAST: with the source address set, Linux routes a
 *   limited broadcast out of the device that owns that address (net/ipv4/route.c,
 *   ip_route_output_key_hash_rcu: saddr given, daddr lbcast, no oif → that device), never along
 *   the default route; it also receives datagrams unicast to SOURCE:PORT (more specific bind).
 * Both sockets set SO_REUSEADDR, which Linux requires for a wildcard and a specific bind on one port.
 *
 * Run it where the lab NIC is the only one (a network namespace that owns it): the receive socket
 * hears every interface of its namespace. Lifecycle: `bind()` → link → `close()` once.
 */
import { createSocket, type Socket } from 'node:dgram';
import { BoardkitError } from '../../core/errors.js';
import type { Datagram, DatagramAddress, DatagramLink, DatagramNetwork } from '../datagram-link.js';

export interface UdpBroadcastNetworkOptions {
  /** The lab NIC's IPv4 address: replies leave from it, and broadcasts out of its interface. */
  sourceAddress: string;
}

async function open(address: string, port: number, broadcast: boolean): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    socket.close();
    throw new BoardkitError('E_UDP_BIND', err.code === 'EACCES' ? 'environment' : 'infrastructure', `cannot bind UDP ${address}:${port}: ${err.message}`, {
      cause: err,
      hint: err.code === 'EACCES' ? 'DHCP ports need root or CAP_NET_BIND_SERVICE' : err.code === 'EADDRNOTAVAIL' ? `no interface here has ${address}` : 'another DHCP server (dnsmasq?) may already listen here',
    });
  });
  if (broadcast) socket.setBroadcast(true);
  socket.on('error', () => {}); // unreachable/ENOBUFS: loss, DHCP clients retry
  return socket;
}

export class UdpBroadcastLink implements DatagramLink {
  private handler: ((d: Datagram) => void) | undefined;
  private closed = false;

  private constructor(
    private readonly rx: Socket,
    private readonly tx: Socket,
    readonly local: DatagramAddress,
  ) {
    for (const s of [rx, tx]) {
      s.on('message', (msg, rinfo) => {
        if (this.closed || !this.handler) return;
        this.handler({ data: new Uint8Array(msg.buffer, msg.byteOffset, msg.length), from: { address: rinfo.address, port: rinfo.port }, to: this.local });
      });
    }
  }

  static async open(sourceAddress: string, port: number): Promise<UdpBroadcastLink> {
    const tx = await open(sourceAddress, port, true);
    const bound = tx.address().port;
    const rx = await open('0.0.0.0', bound, false).catch((err: unknown) => {
      tx.close();
      throw err;
    });
    return new UdpBroadcastLink(rx, tx, { address: sourceAddress, port: bound });
  }

  send(data: Uint8Array, to: DatagramAddress): Promise<void> {
    if (this.closed) return Promise.reject(new BoardkitError('E_LINK_CLOSED', 'infrastructure', 'UDP broadcast link is closed'));
    return new Promise((resolve) => this.tx.send(data, to.port, to.address, () => resolve()));
  }

  onMessage(handler: (dgram: Datagram) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.rx, this.tx].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export class UdpBroadcastNetwork implements DatagramNetwork {
  constructor(private readonly options: UdpBroadcastNetworkOptions) {}

  /** `local.port` is the port (67, or 4011 for PXE); the address is always the source address. */
  bind(local: Partial<DatagramAddress>): Promise<DatagramLink> {
    return UdpBroadcastLink.open(this.options.sourceAddress, local.port ?? 0);
  }
}
