/**
 * A datagram endpoint (UDP-like): what the TFTP and DHCP engines are driven over.
 * Implementations: kernel UDP sockets (`node/udp-datagram-link.ts`), the userspace
 * Ethernet/IPv4/UDP stack over a FrameLink (`userspace-stack.ts`), and fakes with loss injection.
 * A network may also offer a bulk TFTP sender (`tftp-pump.ts`, `TftpPumpNetwork`).
 *
 * Lifecycle: open on construction/factory → `close()` once; after close, `send` rejects and no
 * more messages are delivered.
 */
export interface DatagramAddress {
  address: string;
  port: number;
}

export interface Datagram {
  data: Uint8Array;
  from: DatagramAddress;
  /** The local address/port the datagram arrived on (when the transport knows it). */
  to?: DatagramAddress;
}

export interface DatagramLink {
  readonly local: DatagramAddress;
  send(data: Uint8Array, to: DatagramAddress): Promise<void>;
  /** Registers the receiver (one per link). */
  onMessage(handler: (dgram: Datagram) => void): void;
  close(): Promise<void>;
}

/** Creates links on new local ports (TFTP answers each transfer from a fresh port, its TID). */
export interface DatagramNetwork {
  bind(local: Partial<DatagramAddress>): Promise<DatagramLink>;
}
