/**
 * Ethernet II framing (IEEE 802.3 §3.2.6 with an EtherType ≥ 0x0600). Frames here carry no FCS,
 * as QEMU's netdevs and AF_PACKET deliver them.
 */
import { formatMac, parseMac, type MacAddress } from './address.js';

/** EtherTypes (IEEE registry). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;

export const ETHERNET_HEADER_LENGTH = 14;
/** Minimum frame without FCS (64 − 4); shorter frames are padded with zeros on send. */
export const ETHERNET_MIN_FRAME = 60;
/** The Ethernet II payload size (RFC 894): the MTU of a plain Ethernet link. */
export const ETHERNET_MTU = 1500;

export interface EthernetFrame {
  destination: MacAddress;
  source: MacAddress;
  etherType: number;
  payload: Uint8Array;
}

/** Decodes a frame; undefined when it is too short or an 802.3 length frame (not Ethernet II). */
export function decodeEthernet(frame: Uint8Array): EthernetFrame | undefined {
  if (frame.length < ETHERNET_HEADER_LENGTH) return undefined;
  const etherType = (frame[12]! << 8) | frame[13]!;
  if (etherType < 0x0600) return undefined;
  return {
    destination: formatMac(frame, 0),
    source: formatMac(frame, 6),
    etherType,
    payload: frame.subarray(ETHERNET_HEADER_LENGTH),
  };
}

export function encodeEthernet(f: EthernetFrame): Uint8Array {
  const len = Math.max(ETHERNET_MIN_FRAME, ETHERNET_HEADER_LENGTH + f.payload.length);
  const out = new Uint8Array(len);
  out.set(parseMac(f.destination), 0);
  out.set(parseMac(f.source), 6);
  out[12] = (f.etherType >> 8) & 0xff;
  out[13] = f.etherType & 0xff;
  out.set(f.payload, ETHERNET_HEADER_LENGTH);
  return out;
}
