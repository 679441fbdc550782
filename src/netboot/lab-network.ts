import type { ProgressSink } from '../core/progress.js';
import { noProgress } from '../core/progress.js';
import type { BootRule } from '../protocols/dhcp/boot-rules.js';
import type { FrameLink } from '../transports/frame-link.js';
import { DhcpServer, type DhcpServerEvent } from './dhcp-server.js';
import type { GeneratedFileProvider } from './generated-files.js';
import { TftpServer, type TftpServerEvent } from './tftp-server.js';
import { UserspaceStack } from '../transports/userspace-stack.js';

/**
 * A private lab network in this process: our userspace Ethernet/IPv4/UDP stack on a frame link
 * (QEMU `-netdev dgram`: no root, no tap), with our DHCP server (full, on an isolated network) and
 * TFTP server on it. Addresses default to TEST-NET-1 (192.0.2.0/24, RFC 5737): they never leave
 * the link.
 *
 * Lifecycle: `LabNetwork.start()` → serving → `close()` (idempotent; closes servers, stack, link).
 */
export interface LabNetworkOptions {
  link: FrameLink;
  serverIp?: string;
  serverMac?: string;
  subnetMask?: string;
  pool?: { first: string; last: string };
  /** `full`: we are the only DHCP server on this link; `off`: TFTP only. */
  dhcp?: 'full' | 'off';
  /** DHCP `file` for clients without a more specific rule. */
  bootFile?: string;
  /** DHCP boot rules, first match wins (default: the engine's, UEFI file names by option 93). */
  bootRules?: BootRule[];
  /** Files served over TFTP (generated per request; e.g. the boot script and the patched payload). */
  files?: GeneratedFileProvider;
  /** A directory served under the generated files. */
  root?: string;
  windowsizeMax?: number;
  progress?: ProgressSink;
}

export class LabNetwork {
  private closed = false;

  private constructor(
    readonly stack: UserspaceStack,
    readonly tftp: TftpServer,
    readonly dhcp: DhcpServer | undefined,
    private readonly link: FrameLink,
  ) {}

  static async start(o: LabNetworkOptions): Promise<LabNetwork> {
    const progress = o.progress ?? noProgress;
    const serverIp = o.serverIp ?? '192.0.2.1';
    const stack = new UserspaceStack({ link: o.link, mac: o.serverMac ?? '02:b0:4d:00:00:01', ip: serverIp, subnetMask: o.subnetMask ?? '255.255.255.0' });
    const tftp = new TftpServer({
      network: stack.network,
      listen: { address: serverIp, port: 69 },
      ...(o.files ? { generated: o.files } : {}),
      ...(o.root ? { root: o.root } : {}),
      ...(o.windowsizeMax !== undefined ? { windowsizeMax: o.windowsizeMax } : {}),
      onEvent: (e: TftpServerEvent) => progress({ source: 'tftp', type: e.type, message: describeTftp(e), data: { ...e } }),
    });
    let dhcp: DhcpServer | undefined;
    try {
      await tftp.start();
      if ((o.dhcp ?? 'full') === 'full') {
        dhcp = new DhcpServer({
          network: stack.network,
          mode: 'server',
          serverIp,
          nextServer: serverIp,
          subnetMask: o.subnetMask ?? '255.255.255.0',
          pool: o.pool ?? { first: '192.0.2.100', last: '192.0.2.199' },
          ...(o.bootFile ? { defaultBootfile: o.bootFile } : {}),
          ...(o.bootRules ? { bootRules: o.bootRules } : {}),
          onEvent: (e: DhcpServerEvent) => progress({ source: 'dhcp', type: e.type, message: describeDhcp(e), data: { ...e } }),
        });
        await dhcp.start();
      }
    } catch (err) {
      await tftp.close().catch(() => {});
      await stack.close();
      throw err;
    }
    return new LabNetwork(stack, tftp, dhcp, o.link);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dhcp?.close().catch(() => {});
    await this.tftp.close().catch(() => {});
    await this.stack.close();
    await this.link.close().catch(() => {});
  }
}

function describeTftp(e: TftpServerEvent): string | undefined {
  switch (e.type) {
    case 'transfer-start':
      return `${e.transfer.client.address} reads ${e.transfer.file} (blksize ${e.transfer.blksize}, windowsize ${e.transfer.windowsize})`;
    case 'transfer-done':
      return `${e.transfer.client.address} got ${e.transfer.file}: ${e.bytes} bytes in ${Math.round(e.durationMs)} ms, ${e.retransmits} retransmits`;
    case 'transfer-error':
      return `${e.transfer.client.address} ${e.transfer.file}: ${e.message}`;
    case 'request-refused':
      return `refused ${e.file} to ${e.client.address}: ${e.message}`;
    default:
      return undefined;
  }
}

function describeDhcp(e: DhcpServerEvent): string | undefined {
  switch (e.type) {
    case 'offer':
    case 'ack':
      return `${e.type} ${e.yiaddr} to ${e.mac}${e.bootfile ? ` (file ${e.bootfile})` : ''}`;
    case 'received':
      return `${e.messageType} from ${e.mac}${e.vendorClass ? ` (${e.vendorClass})` : ''}`;
    default:
      return undefined;
  }
}
