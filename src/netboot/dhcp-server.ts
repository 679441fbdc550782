/**
 * The DHCP/BOOTP/proxyDHCP server: the pure `DhcpEngine` driven over a DatagramLink.
 *
 * Over the userspace stack it binds port 67 on the stack (which receives limited broadcasts) and
 * answers by broadcast, so no kernel socket and no privilege is involved. Over kernel sockets it
 * needs a link that can receive and send broadcasts on the lab NIC (a socket in a namespace that
 * owns that NIC; Node's dgram cannot bind to a device).
 *
 * Lifecycle: `new DhcpServer(options)` (validates the configuration, throws UsageError) →
 * `await start()` → `await close()`. Every offer/ack/nak and every ignored or malformed datagram is
 * an `onEvent` call; the server never prints, and no datagram can make it throw or stop answering.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { DHCP_SERVER_PORT, PXE_BOOT_SERVER_PORT } from '../protocols/dhcp/constants.js';
import { DhcpEngine, type DhcpEngineOutput } from '../protocols/dhcp/engine.js';
import type { DhcpEngineConfig } from '../protocols/dhcp/config.js';
import type { DhcpEvent } from '../protocols/dhcp/events.js';
import type { Lease } from '../protocols/dhcp/lease-pool.js';
import type { Datagram, DatagramAddress, DatagramLink, DatagramNetwork } from '../transports/datagram-link.js';

export type DhcpServerEvent =
  | DhcpEvent
  | { type: 'listening'; address: DatagramAddress }
  | { type: 'send-failed'; to: DatagramAddress; message: string }
  | { type: 'internal-error'; message: string };

export interface DhcpServerOptions extends DhcpEngineConfig {
  network: DatagramNetwork;
  /** Where to listen (default 0.0.0.0:67). Tests on kernel sockets use a high port. */
  listen?: Partial<DatagramAddress>;
  /** Also listen on the PXE boot-server port (4011; proxy mode; default false). */
  listenPxePort?: boolean | Partial<DatagramAddress>;
  clock?: Clock;
  onEvent?: (event: DhcpServerEvent) => void;
}

export class DhcpServer {
  readonly engine: DhcpEngine;
  private readonly clock: Clock;
  private readonly links: DatagramLink[] = [];

  constructor(private readonly options: DhcpServerOptions) {
    this.engine = new DhcpEngine(options);
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const main = await this.options.network.bind(this.options.listen ?? { address: '0.0.0.0', port: DHCP_SERVER_PORT });
    this.attach(main, DHCP_SERVER_PORT);
    const pxe = this.options.listenPxePort;
    if (pxe) {
      const at = typeof pxe === 'object' ? pxe : { address: main.local.address, port: PXE_BOOT_SERVER_PORT };
      this.attach(await this.options.network.bind(at), PXE_BOOT_SERVER_PORT);
    }
  }

  /** Current address leases (full mode). */
  leases(): Lease[] {
    return this.engine.leases(this.clock.now());
  }

  /** The MAC of the client at `ip` (a lease of ours, or what its REQUEST/INFORM said), if known. */
  macOf(ip: string): string | undefined {
    return this.engine.macOf(ip, this.clock.now());
  }

  private attach(link: DatagramLink, logicalPort: number): void {
    this.links.push(link);
    link.onMessage((d) => this.onDatagram(link, logicalPort, d));
    this.emit({ type: 'listening', address: link.local });
  }

  private emit(event: DhcpServerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A throwing observer must not take the server down.
    }
  }

  private onDatagram(link: DatagramLink, logicalPort: number, d: Datagram): void {
    let out: DhcpEngineOutput;
    try {
      out = this.engine.handle(d.data, this.clock.now(), logicalPort);
    } catch (err) {
      // The engine is written not to throw; if it ever does, report and keep serving.
      this.emit({ type: 'internal-error', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    for (const e of out.events) this.emit(e);
    for (const r of out.replies) {
      link.send(r.data, r.to).catch((err: unknown) => {
        this.emit({ type: 'send-failed', to: r.to, message: err instanceof Error ? err.message : String(err) });
      });
    }
  }

  async close(): Promise<void> {
    const links = this.links.splice(0);
    await Promise.all(links.map((l) => l.close()));
  }
}
