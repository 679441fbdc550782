/**
 * What the DHCP engine reports. Every offer and ack is an event (RFC-minded operators want a log of
 * every answer: docs/netboot-facts.md §4); the library never prints them.
 */
import type { Ipv4Address, MacAddress } from '../net/address.js';
import type { DhcpMessageTypeName } from './constants.js';

export type DhcpIgnoreReason =
  | 'not-a-request' // op is BOOTREPLY, or a server-only message type
  | 'not-ethernet'
  | 'not-eligible' // neither a known MAC nor a boot-capable vendor class (or a plain client in proxy mode)
  | 'bootp-unknown-host'
  | 'other-server' // REQUEST/RELEASE addressed to another server id
  | 'no-record' // RFC 2131 §4.3.2: silent when we have no record of the client
  | 'pool-exhausted';

export type DhcpEvent =
  | { type: 'received'; messageType: DhcpMessageTypeName | 'bootp'; mac: MacAddress; xid: number; vendorClass?: string; arch: number[] }
  | {
      type: 'offer' | 'ack';
      mac: MacAddress;
      xid: number;
      proxy: boolean;
      yiaddr: Ipv4Address;
      siaddr: Ipv4Address;
      bootfile?: string;
      rule?: string;
      leaseSeconds?: number;
      vendorClass?: string;
    }
  | { type: 'bootp-reply'; mac: MacAddress; xid: number; yiaddr: Ipv4Address; siaddr: Ipv4Address; bootfile?: string }
  | { type: 'nak'; mac: MacAddress; xid: number; reason: string }
  | { type: 'release' | 'decline'; mac: MacAddress; ip: Ipv4Address }
  | { type: 'ignored'; reason: DhcpIgnoreReason; mac?: MacAddress; xid?: number; messageType?: DhcpMessageTypeName | 'bootp' }
  | { type: 'malformed'; reason: string; detail?: string; length: number };
