/**
 * `boardkit netboot serve`: a plain TFTP server over a root directory until cancelled.
 * The transport is injected (the CLI passes kernel UDP); DHCP, board payloads, QEMU links and
 * client inventories are declared by the CLI but refused here until implemented.
 */
import { stat } from 'node:fs/promises';
import { UsageError, BoardkitError } from '../core/errors.js';
import type { DatagramAddress, DatagramNetwork } from '../transports/datagram-link.js';
import { FileRoot, type PerClientKey } from '../netboot/file-root.js';
import { TftpServer, type TftpServerEvent } from '../netboot/tftp-server.js';

export interface NetbootServeOptions {
  network: DatagramNetwork;
  root: string;
  /** `ADDR[:PORT]`, `[v6]:PORT`, `:PORT`; default 0.0.0.0:69. */
  listen?: string;
  blksizeMax?: number;
  pathMtu?: number;
  windowsizeMax?: number;
  maxTransfers?: number;
  maxTransfersPerClient?: number;
  perClient?: PerClientKey[];
  uploadDir?: string;
  /** `off` only for now. */
  dhcp?: 'off' | 'proxy' | 'server';
  /** Accepted: every RRQ opens the file afresh, so a rebuilt file is served without restart. */
  watch?: boolean;
  board?: string;
  payload?: string;
  interface?: string;
  qemuLink?: string;
  clients?: string;
  signal?: AbortSignal;
  onEvent?: (e: TftpServerEvent) => void;
}

export interface NetbootServeSummary {
  address: DatagramAddress;
  transfers: number;
  failed: number;
  bytes: number;
}

/** Parses `ADDR[:PORT]` (IPv6 in brackets). */
export function parseListen(text: string | undefined): DatagramAddress {
  if (!text) return { address: '0.0.0.0', port: 69 };
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[3] === undefined ? 69 : Number(m[3]);
  if (!m || port > 65535) throw new UsageError(`not a listen address: '${text}'`, { hint: 'use ADDR[:PORT], e.g. 127.0.0.1:16969 or [::1]:69' });
  return { address: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function notYet(flag: string, what: string): never {
  throw new UsageError(`--${flag} is not yet available`, { hint: `${what} is planned; for now run plain TFTP with --dhcp off and an existing --root` });
}

export async function netbootServe(o: NetbootServeOptions): Promise<NetbootServeSummary> {
  if (o.dhcp && o.dhcp !== 'off') notYet('dhcp', 'serving DHCP/proxyDHCP beside TFTP');
  if (o.board) notYet('board', 'serving a board profile’s boot files');
  if (o.payload) notYet('payload', 'building netboot files from a payload');
  if (o.interface) notYet('interface', 'binding to a lab NIC through the userspace stack');
  if (o.qemuLink) notYet('qemu-link', 'serving a QEMU -netdev dgram link');
  if (o.clients) notYet('clients', 'a client inventory (MAC → serial/root)');
  const listen = parseListen(o.listen);
  const st = await stat(o.root).catch((cause: unknown) => {
    throw new BoardkitError('E_NETBOOT_ROOT', 'input', `TFTP root '${o.root}' does not exist`, { cause, hint: 'point --root at the directory with the boot files' });
  });
  if (!st.isDirectory()) throw new BoardkitError('E_NETBOOT_ROOT', 'input', `TFTP root '${o.root}' is not a directory`);
  const summary = { transfers: 0, failed: 0, bytes: 0 };
  const server = new TftpServer({
    network: o.network,
    listen,
    root: new FileRoot(o.root, { perClient: o.perClient ?? [] }),
    uploadRoot: o.uploadDir,
    blksizeMax: o.blksizeMax,
    pathMtu: o.pathMtu,
    windowsizeMax: o.windowsizeMax,
    maxTransfers: o.maxTransfers,
    maxTransfersPerClient: o.maxTransfersPerClient,
    onEvent: (e) => {
      if (e.type === 'transfer-done') {
        summary.transfers++;
        summary.bytes += e.bytes;
      } else if (e.type === 'transfer-error') summary.failed++;
      o.onEvent?.(e);
    },
  });
  const address = await server.start();
  try {
    if (!o.signal?.aborted) await new Promise<void>((resolve) => o.signal?.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await server.close();
  }
  return { address, ...summary };
}
