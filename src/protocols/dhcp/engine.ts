/**
 * The DHCP/BOOTP/proxyDHCP engine: a pure state machine. Bytes and the current time go in; reply
 * datagrams (with where to send them) and events come out. It never throws on packet input.
 *
 * Full mode (we hand out addresses) follows RFC 2131 §4.3 (DISCOVER → OFFER, REQUEST → ACK/NAK, DECLINE, RELEASE,
 * INFORM) and answers plain BOOTP (RFC 951) for configured MACs. Proxy mode follows PXE 2.1 §2.2.2:
 * offers with yiaddr 0 carrying only boot information, to boot-capable clients only.
 */
import { formatMac, IPV4_ANY, IPV4_BROADCAST, sameSubnet, type Ipv4Address, type MacAddress } from '../net/address.js';
import { firstMatchingRule, globMatch, type BootRule, type ClientFacts } from './boot-rules.js';
import { decodeDhcp, encodeDhcp, type DhcpMessage } from './codec.js';
import { resolveDhcpConfig, type DhcpEngineConfig, type DhcpHostEntry, type ResolvedDhcpConfig } from './config.js';
import {
  BOOTREPLY,
  BOOTREQUEST,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DHCPACK,
  DHCPNAK,
  DHCPOFFER,
  FLAG_BROADCAST,
  HTYPE_ETHERNET,
  Opt,
  PXE_BOOT_SERVER_PORT,
  type DhcpMessageTypeName,
} from './constants.js';
import type { DhcpEvent } from './events.js';
import { LeasePool, type Lease } from './lease-pool.js';
import {
  ascii,
  clientArchOf,
  ipList,
  ipOption,
  messageTypeOf,
  pxeDirectBootOption,
  raspberryPiBootOption,
  u32,
  vendorClassOf,
} from './options.js';

export interface DhcpReply {
  data: Uint8Array;
  to: { address: Ipv4Address; port: number };
}

export interface DhcpEngineOutput {
  replies: DhcpReply[];
  events: DhcpEvent[];
}

/** How long an OFFER reserves its address (RFC 2131 §4.3.1 leaves it to the server). */
const OFFER_HOLD_MS = 60_000;
/** How long a DECLINEd address stays out of the pool. */
const DECLINE_HOLD_MS = 10 * 60_000;
/** Remembered IP → MAC observations (proxy mode): a lab, not an ISP. */
const MAX_OBSERVED = 4096;

interface Client extends ClientFacts {
  msg: DhcpMessage;
  type: DhcpMessageTypeName | 'bootp';
  host: DhcpHostEntry | undefined;
  rule: BootRule | undefined;
}

export class DhcpEngine {
  readonly config: ResolvedDhcpConfig;
  private readonly pool: LeasePool | undefined;
  /** Fixed-address bindings (host entries with `ip`), so RENEW/INIT-REBOOT can be verified. */
  private readonly fixed = new Map<MacAddress, Ipv4Address>();
  /** IP → MAC seen in clients' REQUEST/INFORM (insertion order = age). */
  private readonly observed = new Map<Ipv4Address, MacAddress>();

  /** Throws UsageError when the configuration is invalid. */
  constructor(config: DhcpEngineConfig) {
    this.config = resolveDhcpConfig(config);
    for (const [mac, h] of this.config.hosts) if (h.ip) this.fixed.set(mac, h.ip);
    if (this.config.mode === 'full' && this.config.pool) {
      const reserved = new Set<Ipv4Address>([this.config.serverIp, ...this.fixed.values()]);
      if (this.config.router) reserved.add(this.config.router);
      this.pool = new LeasePool(this.config.pool.first, this.config.pool.last, reserved);
    }
  }

  leases(now: number): Lease[] {
    return this.pool?.list(now) ?? [];
  }

  /**
   * The MAC behind an IPv4 address: our lease (full mode), else the address a client last asked
   * another server for or said it holds (REQUEST option 50 / ciaddr, seen on the broadcast link or on
   * 4011). In proxy mode that is the only way a TFTP request (which carries no MAC) can be tied to
   * the client's per-board files.
   */
  macOf(ip: Ipv4Address, now: number): MacAddress | undefined {
    return this.pool?.list(now).find((l) => l.ip === ip)?.mac ?? this.fixedMacOf(ip) ?? this.observed.get(ip);
  }

  private fixedMacOf(ip: Ipv4Address): MacAddress | undefined {
    for (const [mac, f] of this.fixed) if (f === ip) return mac;
    return undefined;
  }

  private observe(msg: DhcpMessage, mac: MacAddress, type: DhcpMessageTypeName | 'bootp'): void {
    if (type !== 'request' && type !== 'inform') return;
    const ip = ipOption(msg, Opt.REQUESTED_IP) ?? (msg.ciaddr !== IPV4_ANY ? msg.ciaddr : undefined);
    if (!ip) return;
    this.observed.delete(ip);
    this.observed.set(ip, mac);
    // Bounded: a flood of REQUESTs cannot grow it without limit (oldest first out).
    if (this.observed.size > MAX_OBSERVED) this.observed.delete(this.observed.keys().next().value!);
  }

  /** `localPort` is the port the datagram arrived on (67, or 4011 for PXE boot-server requests). */
  handle(data: Uint8Array, now: number, localPort = DHCP_SERVER_PORT): DhcpEngineOutput {
    const out: DhcpEngineOutput = { replies: [], events: [] };
    const decoded = decodeDhcp(data);
    if (!decoded.ok) {
      out.events.push({ type: 'malformed', reason: decoded.reason, length: data.length, ...(decoded.detail ? { detail: decoded.detail } : {}) });
      return out;
    }
    const msg = decoded.message;
    if (msg.op !== BOOTREQUEST) {
      out.events.push({ type: 'ignored', reason: 'not-a-request', xid: msg.xid });
      return out;
    }
    if (msg.htype !== HTYPE_ETHERNET || msg.hlen !== 6) {
      out.events.push({ type: 'ignored', reason: 'not-ethernet', xid: msg.xid });
      return out;
    }
    const mac = formatMac(msg.chaddr, 0);
    const mt = msg.hasCookie ? messageTypeOf(msg) : undefined;
    if (msg.hasCookie && msg.options.has(Opt.MESSAGE_TYPE) && mt === undefined) {
      out.events.push({ type: 'malformed', reason: 'message-type', detail: `option 53 value ${msg.options.get(Opt.MESSAGE_TYPE)![0]}`, length: data.length });
      return out;
    }
    const type = mt ?? 'bootp';
    const vendorClass = vendorClassOf(msg);
    const arch = clientArchOf(msg);
    const facts: ClientFacts = { mac, vendorClass, arch };
    const host = this.config.hosts.get(mac);
    const client: Client = {
      ...facts,
      msg,
      type,
      host,
      // A listed client boots by its own board's rule; others by the first matching rule.
      rule: host?.rule ?? firstMatchingRule(this.config.bootRules, facts),
    };
    this.observe(msg, mac, type);
    out.events.push({ type: 'received', messageType: type, mac, xid: msg.xid, arch, ...(vendorClass !== undefined ? { vendorClass } : {}) });

    if (type === 'bootp') {
      this.onBootp(client, now, out);
      return out;
    }
    if (!this.eligible(client)) {
      out.events.push({ type: 'ignored', reason: 'not-eligible', mac, xid: msg.xid, messageType: type });
      return out;
    }
    if (this.config.mode === 'proxy') this.onProxy(client, localPort, out);
    else this.onServer(client, now, out);
    return out;
  }

  private eligible(c: Client): boolean {
    const bootCapable = c.vendorClass !== undefined && this.config.bootVendorClasses.some((g) => globMatch(g, c.vendorClass!));
    if (this.config.onlyKnownHosts && !c.host) return false;
    // proxyDHCP beside someone else's server: never answer a plain client (it would get a useless, confusing offer).
    if (this.config.mode === 'proxy') return bootCapable;
    return !!c.host || bootCapable;
  }

  private bootfileOf(c: Client): string | undefined {
    return c.host?.bootfile ?? c.rule?.bootfile ?? this.config.defaultBootfile;
  }

  /** Boot options common to every answer: siaddr/file always, 66/67 when asked, PXE option 43. */
  private bootOptions(c: Client, proxy: boolean): { file: string | undefined; options: Array<[number, Uint8Array]> } {
    const file = this.bootfileOf(c);
    const options: Array<[number, Uint8Array]> = [];
    const isPxe = c.vendorClass?.startsWith('PXEClient') ?? false;
    if (isPxe || proxy) options.push([Opt.VENDOR_CLASS, ascii('PXEClient')]);
    const pi = c.rule?.raspberryPiBoot;
    if (pi) options.push([Opt.VENDOR_SPECIFIC, raspberryPiBootOption(typeof pi === 'string' ? pi : undefined)]);
    else if (isPxe) options.push([Opt.VENDOR_SPECIFIC, pxeDirectBootOption()]);
    if (this.config.tftpOptions) {
      options.push([Opt.TFTP_SERVER_NAME, ascii(this.config.nextServer)]);
      if (file) options.push([Opt.BOOTFILE_NAME, ascii(file)]);
    }
    return { file, options };
  }

  private networkOptions(hostname: string | undefined): Array<[number, Uint8Array]> {
    const o: Array<[number, Uint8Array]> = [];
    if (this.config.subnetMask) o.push([Opt.SUBNET_MASK, ipList([this.config.subnetMask])]);
    if (this.config.router) o.push([Opt.ROUTER, ipList([this.config.router])]);
    if (this.config.dnsServers.length) o.push([Opt.DNS, ipList(this.config.dnsServers)]);
    if (hostname) o.push([Opt.HOSTNAME, ascii(hostname)]);
    return o;
  }

  private reply(
    c: Client,
    messageType: number | undefined,
    yiaddr: Ipv4Address,
    extra: Array<[number, Uint8Array]>,
    file: string | undefined,
    to: { address: Ipv4Address; port: number },
  ): DhcpReply | undefined {
    const options: Array<[number, Uint8Array]> = [];
    if (messageType !== undefined) options.push([Opt.MESSAGE_TYPE, Uint8Array.of(messageType)], [Opt.SERVER_ID, ipList([this.config.serverIp])]);
    options.push(...extra);
    try {
      const data = encodeDhcp({
        op: BOOTREPLY,
        xid: c.msg.xid,
        chaddr: c.msg.chaddr,
        flags: c.msg.flags & FLAG_BROADCAST,
        giaddr: c.msg.giaddr,
        ciaddr: messageType === DHCPACK ? c.msg.ciaddr : IPV4_ANY,
        yiaddr,
        siaddr: messageType === DHCPNAK ? IPV4_ANY : this.config.nextServer,
        ...(messageType !== DHCPNAK && file ? { file } : {}),
        // Plain BOOTP without the RFC 1048 cookie gets a bare 300-byte reply.
        ...(c.type !== 'bootp' || c.msg.hasCookie ? { options } : {}),
      });
      return { data, to };
    } catch {
      // Only a configuration problem (a boot file longer than 127 bytes) can get here.
      return undefined;
    }
  }

  /** RFC 2131 §4.1 reply addressing (no unicast to an unconfigured client: we cannot inject ARP entries). */
  private destination(c: Client, nak: boolean): { address: Ipv4Address; port: number } {
    if (c.msg.giaddr !== IPV4_ANY) return { address: c.msg.giaddr, port: DHCP_SERVER_PORT };
    if (!nak && c.msg.ciaddr !== IPV4_ANY) return { address: c.msg.ciaddr, port: DHCP_CLIENT_PORT };
    return { address: IPV4_BROADCAST, port: DHCP_CLIENT_PORT };
  }

  private push(out: DhcpEngineOutput, r: DhcpReply | undefined, event: DhcpEvent): void {
    if (!r) return;
    out.replies.push(r);
    out.events.push(event);
  }

  private onProxy(c: Client, localPort: number, out: DhcpEngineOutput): void {
    const { msg, mac } = c;
    if (c.type !== 'discover' && c.type !== 'request' && c.type !== 'inform') {
      out.events.push({ type: 'ignored', reason: 'not-a-request', mac, xid: msg.xid, messageType: c.type });
      return;
    }
    const sid = ipOption(msg, Opt.SERVER_ID);
    // A REQUEST on 67 is for the address server; we answer only those aimed at us (PXE 2.1 §2.2.2 step 7).
    if (c.type === 'request' && localPort !== PXE_BOOT_SERVER_PORT && sid !== this.config.serverIp) {
      out.events.push({ type: 'ignored', reason: 'other-server', mac, xid: msg.xid, messageType: c.type });
      return;
    }
    const { file, options } = this.bootOptions(c, true);
    const type = c.type === 'discover' ? DHCPOFFER : DHCPACK;
    const to = localPort === PXE_BOOT_SERVER_PORT && msg.ciaddr !== IPV4_ANY ? { address: msg.ciaddr, port: DHCP_CLIENT_PORT } : this.destination(c, false);
    this.push(out, this.reply(c, type, IPV4_ANY, options, file, to), {
      type: type === DHCPOFFER ? 'offer' : 'ack',
      mac,
      xid: msg.xid,
      proxy: true,
      yiaddr: IPV4_ANY,
      siaddr: this.config.nextServer,
      ...(file ? { bootfile: file } : {}),
      ...(c.rule ? { rule: c.rule.name } : {}),
      ...(c.vendorClass !== undefined ? { vendorClass: c.vendorClass } : {}),
    });
  }

  /** The address bound (or to bind) for this client: fixed entry first, then the pool. */
  private addressFor(c: Client, preferred: Ipv4Address | undefined, now: number): Ipv4Address | undefined {
    return this.fixed.get(c.mac) ?? this.pool?.choose(c.mac, preferred, now);
  }

  private owns(c: Client, ip: Ipv4Address, now: number): boolean {
    const f = this.fixed.get(c.mac);
    if (f) return f === ip;
    return this.pool?.leaseOf(c.mac, now)?.ip === ip;
  }

  private ackEvent(c: Client, type: 'offer' | 'ack', yiaddr: Ipv4Address, file: string | undefined, lease: number | undefined): DhcpEvent {
    return {
      type,
      mac: c.mac,
      xid: c.msg.xid,
      proxy: false,
      yiaddr,
      siaddr: this.config.nextServer,
      ...(file ? { bootfile: file } : {}),
      ...(c.rule ? { rule: c.rule.name } : {}),
      ...(lease !== undefined ? { leaseSeconds: lease } : {}),
      ...(c.vendorClass !== undefined ? { vendorClass: c.vendorClass } : {}),
    };
  }

  private offerOrAck(c: Client, type: 'offer' | 'ack', ip: Ipv4Address, now: number, out: DhcpEngineOutput): void {
    const lease = this.config.leaseSeconds;
    if (!this.fixed.has(c.mac)) {
      this.pool?.set(c.mac, ip, type === 'offer' ? 'offered' : 'bound', now + (type === 'offer' ? OFFER_HOLD_MS : lease * 1000));
    }
    const { file, options } = this.bootOptions(c, false);
    const all: Array<[number, Uint8Array]> = [
      [Opt.LEASE_TIME, u32(lease)],
      // T1 = 0.5, T2 = 0.875 of the lease (RFC 2131 §4.4.5).
      [Opt.RENEWAL_TIME, u32(Math.floor(lease / 2))],
      [Opt.REBINDING_TIME, u32(Math.floor((lease * 7) / 8))],
      ...this.networkOptions(c.host?.hostname),
      ...options,
    ];
    this.push(out, this.reply(c, type === 'offer' ? DHCPOFFER : DHCPACK, ip, all, file, this.destination(c, false)), this.ackEvent(c, type, ip, file, lease));
  }

  private nak(c: Client, reason: string, out: DhcpEngineOutput): void {
    this.push(out, this.reply(c, DHCPNAK, IPV4_ANY, [[Opt.MESSAGE, ascii(reason)]], undefined, this.destination(c, true)), {
      type: 'nak',
      mac: c.mac,
      xid: c.msg.xid,
      reason,
    });
  }

  private onServer(c: Client, now: number, out: DhcpEngineOutput): void {
    const { msg, mac } = c;
    const sid = ipOption(msg, Opt.SERVER_ID);
    const requested = ipOption(msg, Opt.REQUESTED_IP);
    switch (c.type) {
      case 'discover': {
        const ip = this.addressFor(c, requested, now);
        if (!ip) {
          out.events.push({ type: 'ignored', reason: 'pool-exhausted', mac, xid: msg.xid, messageType: c.type });
          return;
        }
        this.offerOrAck(c, 'offer', ip, now, out);
        return;
      }
      case 'request': {
        if (sid !== undefined) {
          // SELECTING (RFC 2131 §4.3.2): the client chose a server.
          if (sid !== this.config.serverIp) {
            const l = this.pool?.leaseOf(mac, now);
            if (l?.state === 'offered') this.pool?.release(mac);
            out.events.push({ type: 'ignored', reason: 'other-server', mac, xid: msg.xid, messageType: c.type });
            return;
          }
          if (requested && this.owns(c, requested, now)) this.offerOrAck(c, 'ack', requested, now, out);
          else this.nak(c, 'requested address was not offered to this client', out);
          return;
        }
        const asked = requested ?? (msg.ciaddr !== IPV4_ANY ? msg.ciaddr : undefined);
        if (!asked) {
          this.nak(c, 'REQUEST names no address', out);
          return;
        }
        // INIT-REBOOT (option 50) or RENEWING/REBINDING (ciaddr).
        if (this.owns(c, asked, now)) this.offerOrAck(c, 'ack', asked, now, out);
        else if (this.fixed.has(mac) || this.pool?.leaseOf(mac, now) || this.inOurSubnet(asked) === false) {
          this.nak(c, 'address not valid for this client', out);
        } else if (this.pool && this.pool.contains(asked) && this.pool.isFreeFor(asked, mac, now)) {
          // A client back from a reboot asking for a free address of ours: grant it (server restarted, lost state).
          this.offerOrAck(c, 'ack', asked, now, out);
        } else out.events.push({ type: 'ignored', reason: 'no-record', mac, xid: msg.xid, messageType: c.type });
        return;
      }
      case 'decline': {
        if (sid !== this.config.serverIp || !requested) {
          out.events.push({ type: 'ignored', reason: 'other-server', mac, xid: msg.xid, messageType: c.type });
          return;
        }
        this.pool?.decline(requested, now + DECLINE_HOLD_MS);
        out.events.push({ type: 'decline', mac, ip: requested });
        return;
      }
      case 'release': {
        if (sid !== undefined && sid !== this.config.serverIp) {
          out.events.push({ type: 'ignored', reason: 'other-server', mac, xid: msg.xid, messageType: c.type });
          return;
        }
        const l = this.pool?.leaseOf(mac, now);
        if (l && l.ip === msg.ciaddr) this.pool?.release(mac);
        out.events.push({ type: 'release', mac, ip: msg.ciaddr });
        return;
      }
      case 'inform': {
        // RFC 2131 §4.3.5: configuration only; no lease time, no yiaddr; unicast to ciaddr.
        const { file, options } = this.bootOptions(c, false);
        const r = this.reply(c, DHCPACK, IPV4_ANY, [...this.networkOptions(c.host?.hostname), ...options], file, this.destination(c, false));
        this.push(out, r, this.ackEvent(c, 'ack', IPV4_ANY, file, undefined));
        return;
      }
      default:
        out.events.push({ type: 'ignored', reason: 'not-a-request', mac, xid: msg.xid, messageType: c.type });
    }
  }

  private inOurSubnet(ip: Ipv4Address): boolean {
    if (!this.config.subnetMask) return true;
    return sameSubnet(ip, this.config.serverIp, this.config.subnetMask);
  }

  private onBootp(c: Client, now: number, out: DhcpEngineOutput): void {
    // Plain BOOTP has no way to say "boot-capable": answer configured MACs only.
    if (!c.host) {
      out.events.push({ type: 'ignored', reason: 'bootp-unknown-host', mac: c.mac, xid: c.msg.xid, messageType: 'bootp' });
      return;
    }
    const ip = this.config.mode === 'full' ? this.addressFor(c, undefined, now) : undefined;
    if (this.config.mode === 'full' && !ip) {
      out.events.push({ type: 'ignored', reason: 'pool-exhausted', mac: c.mac, xid: c.msg.xid, messageType: 'bootp' });
      return;
    }
    const yiaddr = ip ?? IPV4_ANY;
    // BOOTP bindings are permanent (RFC 951 has no leases): hold for a very long time.
    if (ip && !this.fixed.has(c.mac)) this.pool?.set(c.mac, ip, 'bound', Number.MAX_SAFE_INTEGER);
    const file = this.bootfileOf(c);
    const r = this.reply(c, undefined, yiaddr, this.networkOptions(c.host.hostname), file, this.destination(c, false));
    this.push(out, r, {
      type: 'bootp-reply',
      mac: c.mac,
      xid: c.msg.xid,
      yiaddr,
      siaddr: this.config.nextServer,
      ...(file ? { bootfile: file } : {}),
    });
  }
}
