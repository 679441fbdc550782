/**
 * The lab network: our TFTP server and, when asked, our DHCP server (full or proxy) on one
 * network, started and closed together. The one composition behind `run --netboot` and
 * `netboot serve`, over either
 * - a frame link (QEMU `-netdev dgram`: no root, no tap): our userspace Ethernet/IPv4/UDP stack on
 *   it at `serverIp`/`serverMac`, which default to TEST-NET-1 (192.0.2.0/24, RFC 5737) and a
 *   locally administered MAC: they never leave the link; or
 * - kernel sockets: TFTP on `network`, DHCP on `dhcpNetwork` (a link that can broadcast on the lab
 *   NIC, see `lab-interface.ts` for when that is safe).
 *
 * Every TFTP and DHCP event reaches `onEvent` as the servers typed it (`LabEvent`); nothing here
 * turns them into text (that is `cli/render/netboot.ts`).
 *
 * Lifecycle: `LabNetwork.start()` → serving → `close()` (idempotent; closes servers, stack, link).
 */
import { BoardkitError } from '../core/errors.js';
import type { ProgressEvent } from '../core/progress.js';
import type { BootRule } from '../protocols/dhcp/boot-rules.js';
import type { DhcpHostEntry, DhcpMode } from '../protocols/dhcp/config.js';
import { TFTP_PORT } from '../protocols/tftp/defaults.js';
import type { DatagramAddress, DatagramNetwork } from '../transports/datagram-link.js';
import type { FrameLink } from '../transports/frame-link.js';
import type { TftpPumpNetwork } from '../transports/tftp-pump.js';
import { UserspaceStack } from '../transports/userspace-stack.js';
import { DhcpServer, type DhcpServerEvent } from './dhcp-server.js';
import type { FileRoot } from './file-root.js';
import type { GeneratedFileProvider } from './generated-files.js';
import { TftpServer } from './tftp-server.js';
import type { TftpServerEvent, TftpServerOptions } from './tftp-types.js';

/** The lab's addresses when the caller names none (a private link: nothing here is routed). */
export const LAB_DEFAULTS = {
  serverIp: '192.0.2.1',
  /** Locally administered (second hex digit 2). */
  serverMac: '02:b0:4d:00:00:01',
  subnetMask: '255.255.255.0',
  /** Full DHCP's dynamic range. */
  pool: { first: '192.0.2.100', last: '192.0.2.199' },
} as const;

/** What the lab's servers report: TFTP events as they are, DHCP events under `dhcp` (both have a `listening`). */
export type LabEvent = TftpServerEvent | { type: 'dhcp'; event: DhcpServerEvent };

/** A lab event on a generic progress stream (`run`'s): `source` says which server, `data` is its event. */
export type LabProgressEvent = ProgressEvent & ({ source: 'tftp'; data: TftpServerEvent } | { source: 'dhcp'; data: DhcpServerEvent });

export function labProgress(e: LabEvent): LabProgressEvent {
  return e.type === 'dhcp' ? { source: 'dhcp', type: e.event.type, data: e.event } : { source: 'tftp', type: e.type, data: e };
}

export interface LabNetworkOptions {
  /** Serve on this frame link through our userspace stack (closed with the lab). */
  link?: FrameLink;
  /** Or serve TFTP on these kernel sockets... */
  network?: TftpPumpNetwork;
  /** ...and DHCP on this broadcast-capable network on the lab NIC. */
  dhcpNetwork?: DatagramNetwork;
  /** Our address (DHCP server identifier and next-server). Default on a link: LAB_DEFAULTS. */
  serverIp?: string;
  serverMac?: string;
  subnetMask?: string;
  pool?: { first: string; last: string };
  /** `full`: we are the only DHCP server here; `proxy`: boot information only; `off`: TFTP only. Default: `full` on a link, `off` on kernel sockets. */
  dhcp?: DhcpMode | 'off';
  /** DHCP `file` for clients without a more specific rule. */
  bootFile?: string;
  /** DHCP boot rules, first match wins (default: the engine's, UEFI file names by option 93). */
  bootRules?: BootRule[];
  /** DHCP host entries (per-client boot files). */
  hosts?: DhcpHostEntry[];
  /** Files served over TFTP (generated per request; e.g. the boot script and the patched payload). */
  files?: GeneratedFileProvider;
  /** A directory (or FileRoot, for per-client roots) served under the generated files. */
  root?: string | FileRoot;
  /** TFTP listen address; default: `serverIp` (or 0.0.0.0) on port 69. */
  listen?: Partial<DatagramAddress>;
  /** TFTP server settings beyond the defaults. */
  tftp?: Pick<TftpServerOptions, 'blksizeMax' | 'pathMtu' | 'windowsizeMax' | 'maxTransfers' | 'maxTransfersPerClient' | 'uploadRoot'>;
  onEvent?: (e: LabEvent) => void;
}

export class LabNetwork {
  private closed = false;

  private constructor(
    readonly tftp: TftpServer,
    readonly dhcp: DhcpServer | undefined,
    /** Our userspace stack, when serving on a frame link. */
    readonly stack: UserspaceStack | undefined,
    private readonly link: FrameLink | undefined,
    /** Where TFTP listens. */
    readonly address: DatagramAddress,
    readonly serverIp: string | undefined,
  ) {}

  static async start(o: LabNetworkOptions): Promise<LabNetwork> {
    const serverIp = o.serverIp ?? (o.link ? LAB_DEFAULTS.serverIp : undefined);
    const subnetMask = o.subnetMask ?? LAB_DEFAULTS.subnetMask;
    const mode = o.dhcp ?? (o.link ? 'full' : 'off');
    const stack = o.link ? new UserspaceStack({ link: o.link, mac: o.serverMac ?? LAB_DEFAULTS.serverMac, ip: serverIp!, subnetMask }) : undefined;
    const network = stack?.network ?? o.network;
    const dhcpNetwork = stack?.network ?? o.dhcpNetwork;
    if (!network || (mode !== 'off' && (!dhcpNetwork || !serverIp))) {
      await stack?.close();
      throw new BoardkitError('E_INTERNAL', 'internal', 'LabNetwork.start: pass a frame link, or kernel networks (and a DHCP network and server address for DHCP)');
    }
    const emit = (e: LabEvent) => o.onEvent?.(e);
    let dhcp: DhcpServer | undefined;
    const tftp = new TftpServer({
      network,
      listen: { address: o.listen?.address ?? serverIp ?? '0.0.0.0', port: o.listen?.port ?? TFTP_PORT },
      ...(o.root ? { root: o.root } : {}),
      ...(o.files ? { generated: o.files } : {}),
      ...o.tftp,
      // Per-client files need the client's MAC: over UDP we only see its address, so ask DHCP
      // (our leases, or in proxy mode the address the client's REQUEST named).
      clientInfo: (from) => {
        const mac = dhcp?.macOf(from.address);
        return mac ? { mac } : undefined;
      },
      onEvent: emit,
    });
    try {
      const address = await tftp.start();
      if (mode !== 'off') {
        dhcp = new DhcpServer({
          network: dhcpNetwork!,
          mode,
          serverIp: serverIp!,
          nextServer: serverIp!,
          ...(mode === 'full' ? { subnetMask, pool: o.pool ?? LAB_DEFAULTS.pool } : {}),
          ...(o.bootRules?.length ? { bootRules: o.bootRules } : {}),
          ...(o.hosts?.length ? { hosts: o.hosts } : {}),
          ...(o.bootFile ? { defaultBootfile: o.bootFile } : {}),
          // PXE clients of a proxyDHCP ask the boot server on 4011 (PXE 2.1 §2.2.2).
          ...(mode === 'proxy' ? { listenPxePort: true } : {}),
          onEvent: (event) => emit({ type: 'dhcp', event }),
        });
        await dhcp.start();
      }
      return new LabNetwork(tftp, dhcp, stack, o.link, address, serverIp);
    } catch (err) {
      await dhcp?.close().catch(() => {});
      await tftp.close().catch(() => {});
      await stack?.close().catch(() => {});
      await o.link?.close().catch(() => {});
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dhcp?.close().catch(() => {});
    await this.tftp.close().catch(() => {});
    await this.stack?.close().catch(() => {});
    await this.link?.close().catch(() => {});
  }
}
