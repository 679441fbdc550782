/**
 * A board's served boot files around the reference payload, patched per client: the run's nonce
 * for everyone, and the UDP report addresses for each client (source: the client's own address
 * and MAC, destination: the server's address on that link), so the payload's Ethernet report
 * reaches the netboot server on any lab network, not only on a link the host taps.
 */
import { isIpv4, normalizeMac } from '../protocols/net/address.js';
import { patchConfigBlock } from '../payload/config-block.js';
import type { BoardBootFiles } from './board-boot-files.js';
import type { ClientInfo } from './file-root.js';
import { NETBOOT_REPORT_PORT } from './report-listener.js';

/** A MAC for the report frame when the client's is unknown: locally administered, never a vendor's. */
const UNKNOWN_CLIENT_MAC = '02:b0:4d:ff:ff:fe';
/** Per-client patched file sets kept (a lab, not a campus): oldest dropped first. */
const MAX_CLIENT_SETS = 256;

/**
 * One board's boot files: `base` (the nonce patched, for the listing and DHCP rule), and per client
 * the same with the report addresses patched (source = the client's address, destination = our
 * address on that link), so the payload's Ethernet report reaches this server on any lab network.
 */
export class BoardFiles {
  private readonly perClient = new Map<string, BoardBootFiles>();
  readonly base: BoardBootFiles;
  constructor(
    private readonly make: (payload: Uint8Array) => BoardBootFiles,
    private readonly payload: Uint8Array,
    readonly nonce: Uint8Array | undefined,
  ) {
    this.base = make(nonce ? patchConfigBlock(payload, { nonce }) : payload);
  }

  for(client: ClientInfo, reportTo: string | undefined): BoardBootFiles {
    if (!this.nonce || !reportTo || !isIpv4(client.address)) return this.base;
    const mac = client.mac ? normalizeMac(client.mac) : UNKNOWN_CLIENT_MAC;
    const key = `${client.address}|${mac}`;
    let set = this.perClient.get(key);
    if (!set) {
      const patched = patchConfigBlock(this.payload, { nonce: this.nonce, mac, ip: client.address, peerIp: reportTo, srcPort: NETBOOT_REPORT_PORT - 1, peerPort: NETBOOT_REPORT_PORT });
      set = this.make(patched);
      this.perClient.set(key, set);
      if (this.perClient.size > MAX_CLIENT_SETS) this.perClient.delete(this.perClient.keys().next().value!);
    }
    return set;
  }
}

