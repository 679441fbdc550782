/**
 * A userspace Ethernet/ARP/IPv4/UDP (+ ICMP echo) host over a FrameLink, so netboot servers run
 * against an emulated or real link with no root and no tap: QEMU `-netdev dgram`, an AF_PACKET
 * helper, or a fake cable.
 *
 * - Answers ARP for its own IP; learns neighbours from ARP and from received IPv4 sources.
 * - Exposes `network: DatagramNetwork` on its IP (bind 67 for DHCP, 69 for TFTP, port 0 for TIDs),
 *   receiving unicast to its IP and broadcasts (limited and directed).
 * - Lets callers watch every raw frame (`onFrame`) and every UDP datagram seen on the link,
 *   whatever its destination (`onUdp`): the reference payload's nonce broadcast is checked this way.
 * - Never fragments and never reassembles: fragments are dropped and counted.
 *
 * Lifecycle: construct → use → `close()` (closes bound links and the FrameLink).
 */
import { systemClock, type Clock } from '../core/clock.js';
import { AbortedError, TimeoutError } from '../core/abort.js';
import { BoardkitError } from '../core/errors.js';
import {
  BROADCAST_MAC,
  directedBroadcast,
  IPV4_BROADCAST,
  isIpv4,
  normalizeMac,
  sameSubnet,
  type Ipv4Address,
  type MacAddress,
} from '../protocols/net/address.js';
import { ARP_REPLY, ARP_REQUEST, decodeArp, encodeArp } from '../protocols/net/arp.js';
import { ArpCache } from '../protocols/net/arp-cache.js';
import { decodeEthernet, encodeEthernet, ETHERNET_MTU, ETHERTYPE_ARP, ETHERTYPE_IPV4, type EthernetFrame } from '../protocols/net/ethernet.js';
import { decodeIcmp, encodeIcmp, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST } from '../protocols/net/icmp.js';
import { decodeIpv4, encodeIpv4, IP_PROTOCOL_ICMP, IP_PROTOCOL_UDP, IPV4_MIN_HEADER } from '../protocols/net/ipv4.js';
import { decodeUdp, encodeUdp, UDP_HEADER_LENGTH } from '../protocols/net/udp.js';
import type { Datagram, DatagramAddress, DatagramLink, DatagramNetwork } from './datagram-link.js';
import type { FrameLink } from './frame-link.js';

export interface UserspaceStackOptions {
  link: FrameLink;
  /** Our MAC; pick a locally administered one (second hex digit 2, 6, a or e), e.g. 02:00:00:00:00:01. */
  mac: string;
  ip: Ipv4Address;
  /** Default 255.255.255.0. Only on-link destinations are reachable (there is no router). */
  subnetMask?: Ipv4Address;
  /** Default ETHERNET_MTU (1500). Datagrams that would need fragmenting are refused. */
  mtu?: number;
  /** Answer ICMP echo requests to our IP (default true). */
  answerPing?: boolean;
  /** ARP request retries before queued datagrams are dropped (default 3, 1 s apart). */
  arpRetries?: number;
  arpRetryMs?: number;
  clock?: Clock;
}

/** A UDP datagram seen on the link, with its link-layer context. */
export interface ObservedUdp {
  sourceMac: MacAddress;
  destinationMac: MacAddress;
  from: DatagramAddress;
  to: DatagramAddress;
  data: Uint8Array;
  /** True when the IP destination was a broadcast address. */
  broadcast: boolean;
  frame: Uint8Array;
}

export type StackDropReason =
  | 'not-ethernet-ii' | 'not-for-us' | 'unknown-ethertype' | 'arp-malformed'
  | 'ip-short' | 'ip-version' | 'ip-header-length' | 'ip-total-length' | 'ip-checksum' | 'ip-fragment'
  | 'udp-short' | 'udp-length' | 'udp-checksum' | 'udp-no-listener'
  | 'icmp-malformed' | 'other-protocol' | 'send-no-route' | 'send-arp-failed';

export interface StackStats {
  framesIn: number;
  framesOut: number;
  arpRepliesSent: number;
  echoRepliesSent: number;
  dropped: Partial<Record<StackDropReason, number>>;
}

interface PendingResolution {
  queue: Array<{ build: (mac: MacAddress) => Uint8Array; done: () => void }>;
  tries: number;
  timer: { cancel(): void } | undefined;
}

const EPHEMERAL_FIRST = 49152; // RFC 6335 §6 dynamic ports
const MAX_QUEUED_PER_NEIGHBOUR = 64;

export class UserspaceStack {
  readonly mac: MacAddress;
  readonly ip: Ipv4Address;
  readonly subnetMask: Ipv4Address;
  readonly stats: StackStats = { framesIn: 0, framesOut: 0, arpRepliesSent: 0, echoRepliesSent: 0, dropped: {} };
  /** The DatagramNetwork on this stack's IP (what the TFTP and DHCP servers are given). */
  readonly network: DatagramNetwork;
  private readonly link: FrameLink;
  private readonly clock: Clock;
  private readonly mtu: number;
  private readonly broadcastIp: Ipv4Address;
  private readonly arp = new ArpCache();
  private readonly pending = new Map<Ipv4Address, PendingResolution>();
  private readonly ports = new Map<number, StackDatagramLink>();
  private readonly frameTaps = new Set<(frame: Uint8Array, eth: EthernetFrame) => void>();
  private readonly udpTaps = new Set<(d: ObservedUdp) => void>();
  private nextEphemeral = EPHEMERAL_FIRST;
  private ipId = 1;
  private closed = false;

  constructor(private readonly options: UserspaceStackOptions) {
    if (!isIpv4(options.ip)) throw new BoardkitError('E_USAGE', 'usage', `stack IP '${options.ip}' is not an IPv4 address`);
    this.mac = normalizeMac(options.mac);
    this.ip = options.ip;
    this.subnetMask = options.subnetMask ?? '255.255.255.0';
    this.broadcastIp = directedBroadcast(this.ip, this.subnetMask);
    this.link = options.link;
    this.clock = options.clock ?? systemClock;
    this.mtu = options.mtu ?? ETHERNET_MTU;
    this.network = { bind: (local) => this.bind(local) };
    this.link.onFrame((frame) => this.receive(frame));
  }

  /** Observe every frame received from the link (before any filtering). Returns an unsubscribe function. */
  onFrame(handler: (frame: Uint8Array, eth: EthernetFrame) => void): () => void {
    this.frameTaps.add(handler);
    return () => void this.frameTaps.delete(handler);
  }

  /** Observe every valid UDP datagram on the link, whatever its destination (bound port or not). */
  onUdp(handler: (d: ObservedUdp) => void): () => void {
    this.udpTaps.add(handler);
    return () => void this.udpTaps.delete(handler);
  }

  /**
   * Resolves with the first UDP datagram seen on the link (from now on) that satisfies `match`,
   * e.g. the reference payload's nonce broadcast. Rejects with TimeoutError after `timeoutMs`, or
   * with the signal's reason when aborted.
   */
  waitForUdp(match: (d: ObservedUdp) => boolean, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ObservedUdp> {
    return new Promise((resolve, reject) => {
      const finish = (fn: () => void) => {
        off();
        timer.cancel();
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const off = this.onUdp((d) => {
        if (match(d)) finish(() => resolve(d));
      });
      const timer = this.clock.setTimeout(
        () => finish(() => reject(new TimeoutError(`no matching UDP datagram within ${options.timeoutMs} ms`, { hint: 'check that the guest NIC is wired to this link and the payload sends its report' }))),
        options.timeoutMs,
      );
      const onAbort = () => finish(() => reject(options.signal?.reason instanceof BoardkitError ? options.signal.reason : new AbortedError(options.signal?.reason)));
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async bind(local: Partial<DatagramAddress>): Promise<DatagramLink> {
    if (this.closed) throw new BoardkitError('E_LINK_CLOSED', 'infrastructure', 'userspace stack is closed');
    if (local.address !== undefined && local.address !== this.ip && local.address !== '0.0.0.0') {
      throw new BoardkitError('E_UDP_BIND', 'usage', `the userspace stack has address ${this.ip}, not ${local.address}`, {
        hint: `bind ${this.ip} or 0.0.0.0`,
      });
    }
    let port = local.port ?? 0;
    if (port === 0) port = this.allocatePort();
    if (port < 1 || port > 65535) throw new BoardkitError('E_UDP_BIND', 'usage', `bad UDP port ${port}`);
    if (this.ports.has(port)) {
      throw new BoardkitError('E_UDP_BIND', 'infrastructure', `UDP port ${port} is already bound on the userspace stack`);
    }
    const link = new StackDatagramLink(this, { address: this.ip, port });
    this.ports.set(port, link);
    return link;
  }

  private allocatePort(): number {
    for (let i = 0; i < 65536 - EPHEMERAL_FIRST; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p >= 65535 ? EPHEMERAL_FIRST : p + 1;
      if (!this.ports.has(p)) return p;
    }
    throw new BoardkitError('E_UDP_BIND', 'infrastructure', 'no free ephemeral UDP port on the userspace stack');
  }

  /** @internal */
  unbind(port: number, link: StackDatagramLink): void {
    if (this.ports.get(port) === link) this.ports.delete(port);
  }

  /**
   * Sends one UDP datagram from `sourcePort`. Broadcast destinations go to ff:ff:ff:ff:ff:ff; others
   * are resolved by ARP. Off-link destinations and unanswered ARP are datagram loss (counted).
   */
  sendUdp(sourcePort: number, to: DatagramAddress, data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new BoardkitError('E_LINK_CLOSED', 'infrastructure', 'userspace stack is closed'));
    if (IPV4_MIN_HEADER + UDP_HEADER_LENGTH + data.length > this.mtu) {
      return Promise.reject(
        new BoardkitError('E_DATAGRAM_TOO_BIG', 'usage', `a ${data.length}-byte UDP payload exceeds the ${this.mtu}-byte MTU`, {
          hint: 'the userspace stack never fragments; keep TFTP blksize ≤ MTU − 32',
        }),
      );
    }
    const build = (mac: MacAddress): Uint8Array =>
      encodeEthernet({
        destination: mac,
        source: this.mac,
        etherType: ETHERTYPE_IPV4,
        payload: encodeIpv4({
          source: this.ip,
          destination: to.address,
          protocol: IP_PROTOCOL_UDP,
          identification: this.ipId++ & 0xffff,
          payload: encodeUdp({ sourcePort, destinationPort: to.port, payload: data }, this.ip, to.address),
        }),
      });
    if (to.address === IPV4_BROADCAST || to.address === this.broadcastIp) return this.transmit(build(BROADCAST_MAC));
    if (!isIpv4(to.address) || !sameSubnet(to.address, this.ip, this.subnetMask)) {
      this.drop('send-no-route');
      return Promise.resolve();
    }
    return this.sendResolved(to.address, build);
  }

  private sendResolved(ip: Ipv4Address, build: (mac: MacAddress) => Uint8Array): Promise<void> {
    const mac = this.arp.lookup(ip, this.clock.now());
    if (mac) return this.transmit(build(mac));
    return new Promise<void>((resolve) => {
      let p = this.pending.get(ip);
      if (!p) {
        p = { queue: [], tries: 0, timer: undefined };
        this.pending.set(ip, p);
        this.arpRequest(ip, p);
      }
      if (p.queue.length >= MAX_QUEUED_PER_NEIGHBOUR) {
        this.drop('send-arp-failed');
        resolve();
        return;
      }
      p.queue.push({ build, done: resolve });
    });
  }

  private arpRequest(ip: Ipv4Address, p: PendingResolution): void {
    if (p.tries >= (this.options.arpRetries ?? 3)) {
      this.pending.delete(ip);
      for (const q of p.queue) {
        this.drop('send-arp-failed');
        q.done();
      }
      return;
    }
    p.tries++;
    void this.transmitArp(ARP_REQUEST, '00:00:00:00:00:00', ip, BROADCAST_MAC);
    p.timer = this.clock.setTimeout(() => this.arpRequest(ip, p), this.options.arpRetryMs ?? 1000);
  }

  private resolved(ip: Ipv4Address, mac: MacAddress): void {
    this.arp.learn(ip, mac, this.clock.now());
    const p = this.pending.get(ip);
    if (!p) return;
    this.pending.delete(ip);
    p.timer?.cancel();
    for (const q of p.queue) void this.transmit(q.build(mac)).then(q.done);
  }

  private transmitArp(operation: number, targetMac: MacAddress, targetIp: Ipv4Address, ethDest: MacAddress): Promise<void> {
    const payload = encodeArp({ operation, senderMac: this.mac, senderIp: this.ip, targetMac, targetIp });
    return this.transmit(encodeEthernet({ destination: ethDest, source: this.mac, etherType: ETHERTYPE_ARP, payload }));
  }

  private async transmit(frame: Uint8Array): Promise<void> {
    if (this.closed) return;
    this.stats.framesOut++;
    try {
      await this.link.send(frame);
    } catch {
      // A frame the link could not take is a lost frame; upper layers retransmit.
    }
  }

  private drop(reason: StackDropReason): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }

  private receive(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.framesIn++;
    const eth = decodeEthernet(frame);
    if (!eth) return this.drop('not-ethernet-ii');
    for (const tap of this.frameTaps) tap(frame, eth);
    const forUs = eth.destination === this.mac || eth.destination === BROADCAST_MAC;
    // UDP observers see unicast to other MACs too (a payload may address its report to any MAC).
    if (eth.etherType === ETHERTYPE_IPV4 && (forUs || this.udpTaps.size > 0)) return this.receiveIpv4(eth, frame, forUs);
    if (!forUs) return this.drop('not-for-us');
    if (eth.etherType === ETHERTYPE_ARP) return this.receiveArp(eth);
    this.drop('unknown-ethertype');
  }

  private receiveArp(eth: EthernetFrame): void {
    const a = decodeArp(eth.payload);
    if (!a) return this.drop('arp-malformed');
    // RFC 826 "merge flag": update an existing entry, or add one when the packet is for us.
    const forUs = a.targetIp === this.ip;
    if (a.senderIp !== '0.0.0.0' && (forUs || this.arp.lookup(a.senderIp, this.clock.now()) || this.pending.has(a.senderIp))) {
      this.resolved(a.senderIp, a.senderMac);
    }
    if (a.operation === ARP_REQUEST && forUs) {
      this.stats.arpRepliesSent++;
      void this.transmitArp(ARP_REPLY, a.senderMac, a.senderIp, a.senderMac);
    }
  }

  private receiveIpv4(eth: EthernetFrame, frame: Uint8Array, forUs: boolean): void {
    const r = decodeIpv4(eth.payload);
    if (!r.ok) return this.drop(`ip-${r.reason}` as StackDropReason);
    const ip = r.packet;
    const broadcast = ip.destination === IPV4_BROADCAST || ip.destination === this.broadcastIp;
    if (forUs && ip.source !== '0.0.0.0' && sameSubnet(ip.source, this.ip, this.subnetMask) && eth.source !== BROADCAST_MAC) {
      this.resolved(ip.source, eth.source);
    }
    if (ip.protocol === IP_PROTOCOL_UDP) {
      const u = decodeUdp(ip.payload, ip.source, ip.destination);
      if (!u.ok) return this.drop(`udp-${u.reason}` as StackDropReason);
      const from = { address: ip.source, port: u.datagram.sourcePort };
      const to = { address: ip.destination, port: u.datagram.destinationPort };
      const data = u.datagram.payload;
      for (const tap of this.udpTaps) tap({ sourceMac: eth.source, destinationMac: eth.destination, from, to, data, broadcast, frame });
      if (!forUs || (ip.destination !== this.ip && !broadcast)) return this.drop('not-for-us');
      const link = this.ports.get(to.port);
      if (!link) return this.drop('udp-no-listener');
      link.deliver({ data: data.slice(), from, to });
      return;
    }
    if (!forUs || ip.destination !== this.ip) return this.drop('not-for-us');
    if (ip.protocol === IP_PROTOCOL_ICMP && this.options.answerPing !== false) {
      const m = decodeIcmp(ip.payload);
      if (!m) return this.drop('icmp-malformed');
      if (m.type !== ICMP_ECHO_REQUEST || m.code !== 0) return;
      this.stats.echoRepliesSent++;
      // RFC 792: the reply carries the request's identifier, sequence and data unchanged.
      void this.transmit(
        encodeEthernet({
          destination: eth.source,
          source: this.mac,
          etherType: ETHERTYPE_IPV4,
          payload: encodeIpv4({
            source: this.ip,
            destination: ip.source,
            protocol: IP_PROTOCOL_ICMP,
            identification: this.ipId++ & 0xffff,
            payload: encodeIcmp({ type: ICMP_ECHO_REPLY, code: 0, rest: m.rest }),
          }),
        }),
      );
      return;
    }
    this.drop('other-protocol');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const l of [...this.ports.values()]) await l.close();
    for (const p of this.pending.values()) {
      p.timer?.cancel();
      for (const q of p.queue) q.done();
    }
    this.pending.clear();
    this.closed = true;
    await this.link.close();
  }
}

/** One bound UDP port on a UserspaceStack. */
class StackDatagramLink implements DatagramLink {
  private handler: ((d: Datagram) => void) | undefined;
  private closed = false;

  constructor(
    private readonly stack: UserspaceStack,
    readonly local: DatagramAddress,
  ) {}

  send(data: Uint8Array, to: DatagramAddress): Promise<void> {
    if (this.closed) return Promise.reject(new BoardkitError('E_LINK_CLOSED', 'infrastructure', 'UDP link is closed'));
    return this.stack.sendUdp(this.local.port, to, data);
  }

  onMessage(handler: (dgram: Datagram) => void): void {
    this.handler = handler;
  }

  /** @internal */
  deliver(d: Datagram): void {
    if (!this.closed) this.handler?.(d);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stack.unbind(this.local.port, this);
  }
}
