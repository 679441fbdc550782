/**
 * DHCP engine configuration and its validation (all problems reported at once).
 */
import { UsageError } from '../../core/errors.js';
import { ipv4ToNumber, isIpv4, normalizeMac, sameSubnet, type Ipv4Address, type MacAddress } from '../net/address.js';
import { BOOT_VENDOR_CLASSES, DEFAULT_BOOT_RULES, type BootRule } from './boot-rules.js';

export interface DhcpHostEntry {
  mac: string;
  /** Fixed address (full mode); omit to take one from the pool. */
  ip?: Ipv4Address;
  bootfile?: string;
  hostname?: string;
  /**
   * This client's own boot rule (its board's: option 43, boot file), used instead of the first
   * matching `bootRules` entry, so one server can boot a mixed lab (`--clients MAC=board`).
   */
  rule?: BootRule;
}

/**
 * How we serve DHCP; the one name for it, from the engine up to `netboot serve --dhcp`:
 * - `full`: we own the (isolated lab) network and hand out addresses (RFC 2131 server);
 * - `proxy`: another server hands out addresses; we add boot information only (yiaddr 0), PXE 2.1 proxyDHCP.
 */
export type DhcpMode = 'full' | 'proxy';
export const DHCP_MODES: readonly DhcpMode[] = ['full', 'proxy'];

export interface DhcpEngineConfig {
  mode: DhcpMode;
  /** Our address: option 54 and, unless `nextServer` says otherwise, siaddr (the TFTP server). */
  serverIp: Ipv4Address;
  /** TFTP server for siaddr, when not ourselves. */
  nextServer?: Ipv4Address;
  /** Full mode: required. */
  subnetMask?: Ipv4Address;
  router?: Ipv4Address;
  dnsServers?: Ipv4Address[];
  /** Full mode: the dynamic range, inclusive; must lie in serverIp's subnet. */
  pool?: { first: Ipv4Address; last: Ipv4Address };
  /** Default 3600 s. */
  leaseSeconds?: number;
  /** Known clients; always answered (also over plain BOOTP). */
  hosts?: DhcpHostEntry[];
  /** First match gives the boot file / option 43. Default DEFAULT_BOOT_RULES. */
  bootRules?: BootRule[];
  /** Used when no rule and no host entry names a file. */
  defaultBootfile?: string;
  /** Vendor classes (globs) of boot-capable clients answered without a host entry. Default BOOT_VENDOR_CLASSES. */
  bootVendorClasses?: string[];
  /** When true, answer only MACs in `hosts` (vendor class alone is not enough). */
  onlyKnownHosts?: boolean;
  /**
   * Allow a pool outside private/test ranges (RFC 1918, RFC 6598 shared, RFC 5737 TEST-NETs).
   * Off by default: a full DHCP server handing out public addresses is almost certainly on the wrong network.
   */
  allowPublicPool?: boolean;
  /** Also send option 66 (TFTP server name) and 67 (boot file); siaddr/file are always set. */
  tftpOptions?: boolean;
}

export interface ResolvedDhcpConfig {
  mode: DhcpMode;
  serverIp: Ipv4Address;
  nextServer: Ipv4Address;
  subnetMask: Ipv4Address | undefined;
  router: Ipv4Address | undefined;
  dnsServers: Ipv4Address[];
  pool: { first: Ipv4Address; last: Ipv4Address } | undefined;
  leaseSeconds: number;
  hosts: Map<MacAddress, DhcpHostEntry>;
  bootRules: readonly BootRule[];
  defaultBootfile: string | undefined;
  bootVendorClasses: readonly string[];
  onlyKnownHosts: boolean;
  tftpOptions: boolean;
}

/** RFC 1918 private, RFC 6598 shared address space, RFC 5737 documentation (TEST-NET-1/2/3). */
const LAB_RANGES: ReadonlyArray<readonly [string, number]> = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['192.0.2.0', 24],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
];

function inLabRange(ip: Ipv4Address): boolean {
  const n = ipv4ToNumber(ip);
  return LAB_RANGES.some(([net, bits]) => (n >>> (32 - bits)) === (ipv4ToNumber(net) >>> (32 - bits)));
}

/** A pool larger than this is a configuration mistake on a lab network (and would make allocation slow). */
const MAX_POOL = 4096;

export function resolveDhcpConfig(c: DhcpEngineConfig): ResolvedDhcpConfig {
  const problems: string[] = [];
  const ip = (v: string | undefined, what: string): void => {
    if (v !== undefined && !isIpv4(v)) problems.push(`${what} '${v}' is not an IPv4 address`);
  };
  ip(c.serverIp, 'serverIp');
  ip(c.nextServer, 'nextServer');
  ip(c.subnetMask, 'subnetMask');
  ip(c.router, 'router');
  c.dnsServers?.forEach((d) => ip(d, 'dnsServers[]'));
  ip(c.pool?.first, 'pool.first');
  ip(c.pool?.last, 'pool.last');
  const addressesValid = problems.length === 0 && (c.hosts ?? []).every((h) => h.ip === undefined || isIpv4(h.ip));
  const hosts = new Map<MacAddress, DhcpHostEntry>();
  for (const h of c.hosts ?? []) {
    try {
      hosts.set(normalizeMac(h.mac), h);
    } catch {
      problems.push(`hosts[].mac '${h.mac}' is not a MAC address`);
    }
    ip(h.ip, `hosts[${h.mac}].ip`);
  }
  // `file` is 128 bytes with a terminating NUL (RFC 2131 Figure 1); options carry ASCII here.
  const text = (v: string | undefined, what: string, max: number): void => {
    if (v !== undefined && (v.length > max || !/^[\x20-\x7e]+$/.test(v))) problems.push(`${what} '${v}' must be 1..${max} printable ASCII characters`);
  };
  text(c.defaultBootfile, 'defaultBootfile', 127);
  for (const h of c.hosts ?? []) {
    text(h.bootfile, `hosts[${h.mac}].bootfile`, 127);
    text(h.hostname, `hosts[${h.mac}].hostname`, 255);
    text(h.rule?.bootfile, `hosts[${h.mac}].rule.bootfile`, 127);
    if (typeof h.rule?.raspberryPiBoot === 'string') text(h.rule.raspberryPiBoot, `hosts[${h.mac}].rule.raspberryPiBoot`, 200);
  }
  for (const r of c.bootRules ?? []) {
    text(r.bootfile, `bootRules[${r.name}].bootfile`, 127);
    if (typeof r.raspberryPiBoot === 'string') text(r.raspberryPiBoot, `bootRules[${r.name}].raspberryPiBoot`, 200);
  }
  if (!DHCP_MODES.includes(c.mode)) problems.push(`mode must be ${DHCP_MODES.map((m) => `'${m}'`).join(' or ')}`);
  if (c.mode === 'full' && addressesValid) {
    if (!c.subnetMask) problems.push('full mode needs subnetMask');
    else {
      if (c.pool) {
        const a = ipv4ToNumber(c.pool.first);
        const b = ipv4ToNumber(c.pool.last);
        if (b < a) problems.push('pool.last is below pool.first');
        else if (b - a + 1 > MAX_POOL) problems.push(`pool has ${b - a + 1} addresses; at most ${MAX_POOL}`);
        if (!c.allowPublicPool && !(inLabRange(c.pool.first) && inLabRange(c.pool.last))) {
          problems.push('pool is outside private/test address ranges (set allowPublicPool to override)');
        }
        if (!sameSubnet(c.pool.first, c.serverIp, c.subnetMask) || !sameSubnet(c.pool.last, c.serverIp, c.subnetMask)) {
          problems.push('pool lies outside the subnet of serverIp/subnetMask');
        }
      }
      for (const h of c.hosts ?? []) {
        if (h.ip && !sameSubnet(h.ip, c.serverIp, c.subnetMask)) problems.push(`hosts[${h.mac}].ip ${h.ip} is outside the subnet`);
      }
    }
    if (!c.pool && !(c.hosts ?? []).some((h) => h.ip)) problems.push('full mode needs a pool or hosts with fixed addresses');
  }
  if (c.leaseSeconds !== undefined && !(Number.isInteger(c.leaseSeconds) && c.leaseSeconds >= 60 && c.leaseSeconds < 2 ** 31)) {
    problems.push('leaseSeconds must be an integer ≥ 60');
  }
  if (problems.length) {
    throw new UsageError(`invalid DHCP configuration: ${problems.join('; ')}`, {
      hint: 'check the netboot section of the lab/run file',
      details: { problems },
    });
  }
  return {
    mode: c.mode,
    serverIp: c.serverIp,
    nextServer: c.nextServer ?? c.serverIp,
    subnetMask: c.subnetMask,
    router: c.router,
    dnsServers: c.dnsServers ?? [],
    pool: c.pool,
    leaseSeconds: c.leaseSeconds ?? 3600,
    hosts,
    bootRules: c.bootRules ?? DEFAULT_BOOT_RULES,
    defaultBootfile: c.defaultBootfile,
    bootVendorClasses: c.bootVendorClasses ?? BOOT_VENDOR_CLASSES,
    onlyKnownHosts: c.onlyKnownHosts ?? false,
    tftpOptions: c.tftpOptions ?? false,
  };
}
