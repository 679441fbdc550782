/**
 * `boardkit netboot serve`: TFTP over a root directory and/or a board's generated boot files, with
 * optional DHCP (full or proxy), until cancelled. The servers are a `LabNetwork` (the same
 * composition `run --netboot` uses); transports are injected by the CLI:
 * - kernel UDP (the default): TFTP on `listen`; DHCP over a broadcast-capable link on `--interface`,
 *   which must be the only NIC where we run (a network namespace that owns the lab NIC);
 * - a QEMU `-netdev dgram` link (`qemuLink`): our userspace Ethernet/IPv4/UDP stack, no root.
 * A Raspberry Pi's firmware files are resolved from the verified artefact cache here.
 *
 * Each client listed in `clients` gets its own board's DHCP rule and files; `board` is the default
 * for the rest. A served reference payload carries this run's nonce and, per client, the server's
 * address on the link as its UDP report destination: reports arrive as `report` events and their
 * verdicts end up in the summary. `image` serves a disk image's boot partition in place.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadManifests } from '../artifacts/manifest-loader.js';
import { resolveArtifact } from '../artifacts/resolve-artifact.js';
import type { BoardProfile } from '../boards/schema.js';
import type { BoardRegistry } from '../boards/registry.js';
import { describePayload, payloadFile } from '../payload/payload-dir.js';
import { BoardkitError, UsageError } from '../core/errors.js';
import { newNonce } from '../payload/config-block.js';
import { nonceHex } from '../payload/report.js';
import type { DhcpHostEntry, DhcpMode } from '../protocols/dhcp/config.js';
import { isIpv4, normalizeMac } from '../protocols/net/address.js';
import { TFTP_PORT } from '../protocols/tftp/defaults.js';
import type { DatagramAddress, DatagramNetwork } from '../transports/datagram-link.js';
import type { FrameLink } from '../transports/frame-link.js';
import type { InterfaceFacts } from '../transports/net-interfaces.js';
import type { TftpPumpNetwork } from '../transports/tftp-pump.js';
import { boardBootFiles, netbootFlow, stripPiSerialPrefix, type BoardBootFiles } from '../netboot/board-boot-files.js';
import { imageBootService, type ImageServingEvent } from '../netboot/image-root.js';
import { BoardFiles } from '../netboot/served-payload.js';
import { FileRoot, type ClientInfo, type PerClientKey } from '../netboot/file-root.js';
import { firstOf, type GeneratedFileProvider } from '../netboot/generated-files.js';
import { planLabInterface } from '../netboot/lab-interface.js';
import { judgeReport, NETBOOT_REPORT_PORT, ReportListener, type ServedReport } from '../netboot/report-listener.js';
import { LAB_DEFAULTS, LabNetwork, type LabEvent, type LabNetworkOptions } from '../netboot/lab-network.js';

/** The lab's TFTP and DHCP events as the servers typed them, and what this command adds. */
export type NetbootServeEvent =
  | LabEvent
  | { type: 'serving'; board: string; flow: BoardBootFiles['flow']; bootFile: string; files: Array<{ name: string; bytes: number }>; nonce?: string; clients?: string[] }
  | { type: 'qemu-link'; netdev: string; hostPort: number; guestPort: number }
  /** A served payload's UDP report arrived (the Ethernet oracle on a lab network): `verdict` pass = this run's payload, its NIC transmitting. */
  | ({ type: 'report'; mac?: string } & ServedReport)
  | ImageServingEvent
  | ServeWarning;

/**
 * Something that will probably not work as the user expects, said before serving starts.
 * `uboot-ignores-proxy-dhcp`: U-Boot takes a proxyDHCP offer only when built with
 * CONFIG_SERVERIP_FROM_PROXYDHCP (net/bootp.c), which distro builds (Debian's u-boot-qemu) are not.
 */
export type ServeWarning =
  | {
      type: 'warning';
      code: 'uboot-ignores-proxy-dhcp';
      /** The U-Boot boards served (by --board or --clients). */
      boards: string[];
      /** What works instead, in order of preference. */
      alternatives: Array<'full-dhcp-in-namespace' | 'uboot-serverip-env'>;
      /** Our address on the lab link, for `setenv serverip` (when known). */
      serverIp?: string;
    }
  /** The report port could not be bound (another server on this host?): payloads still boot, reports are not received. */
  | { type: 'warning'; code: 'report-port-unavailable'; port: number; message: string };

export interface NetbootServeOptions {
  network: TftpPumpNetwork;
  /** Directory served (optional when --board/--payload generate the files). */
  root?: string;
  /** `ADDR[:PORT]`, `[v6]:PORT`, `:PORT`; default 0.0.0.0:69 (the lab address with --interface). */
  listen?: string;
  blksizeMax?: number;
  pathMtu?: number;
  windowsizeMax?: number;
  maxTransfers?: number;
  maxTransfersPerClient?: number;
  perClient?: PerClientKey[];
  uploadDir?: string;
  /** `full`: we hand out addresses; `proxy`: boot information only. */
  dhcp?: DhcpMode | 'off';
  /** Board whose boot files (U-Boot script or PXE boot file) are generated around `payload`. */
  board?: string;
  /** The payload file, or a `payload build` directory (one per board under it for `clients`). */
  payload?: string;
  /** Lab NIC (kernel sockets; must be the only NIC where this runs). */
  interface?: string;
  /** Full DHCP even where the checks refuse (default route, other NICs). */
  force?: boolean;
  /** `FIRST-LAST` dynamic range for full DHCP. */
  pool?: string;
  /** `HOSTPORT:GUESTPORT` on 127.0.0.1 (0 = pick a free port): serve on a QEMU `-netdev dgram` link through the userspace stack. */
  qemuLink?: string;
  /** `MAC=board[,MAC=board…]`: per-client boot files (and DHCP host entries). */
  clients?: string;
  /** A disk image (`image build`): serve its boot partition's files, read through our FAT reader. */
  image?: string;
  registry?: BoardRegistry;
  /** Where the verified artefacts are cached (a Pi's firmware files; default: the user cache). */
  cacheDir?: string;
  /** Firmware manifests to resolve artefact ids with (default: the built-in ones). */
  manifestDir?: string;
  readInterfaces?: () => Promise<InterfaceFacts[]>;
  /** Kernel UDP that can broadcast from `sourceAddress`'s interface (DHCP on --interface). */
  broadcastNetwork?: (sourceAddress: string) => DatagramNetwork;
  openQemuLink?: (o: { hostPort: number; guestPort: number }) => Promise<FrameLink & { readonly hostPort: number; readonly guestPort: number; netdevArg(id?: string): string }>;
  signal?: AbortSignal;
  onEvent?: (e: NetbootServeEvent) => void;
}

export interface NetbootServeSummary {
  address: DatagramAddress;
  transfers: number;
  failed: number;
  bytes: number;
  leases: number;
  /** Every UDP report the served payloads sent us, with its verdict. */
  reports: ServedReport[];
}

/** Parses `ADDR[:PORT]` (IPv6 in brackets). */
export function parseListen(text: string | undefined): DatagramAddress {
  if (!text) return { address: '0.0.0.0', port: TFTP_PORT };
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[3] === undefined ? TFTP_PORT : Number(m[3]);
  if (!m || port > 65535) throw new UsageError(`not a listen address: '${text}'`, { hint: 'use ADDR[:PORT], e.g. 127.0.0.1:16969 or [::1]:69' });
  return { address: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** `MAC=board,MAC=board` → entries (MACs normalised). */
export function parseClients(text: string): Array<{ mac: string; board: string }> {
  return text
    .split(',')
    .filter((s) => s.trim())
    .map((pair) => {
      const m = /^\s*([0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5})\s*=\s*([a-z0-9][a-z0-9-]*)\s*$/.exec(pair);
      if (!m) throw new UsageError(`--clients: '${pair}' is not MAC=board`, { hint: 'e.g. --clients 52:54:00:12:34:56=qemu-riscv64-virt' });
      return { mac: normalizeMac(m[1]!), board: m[2]! };
    });
}

function parsePool(text: string | undefined): { first: string; last: string } | undefined {
  if (!text) return undefined;
  const m = /^\s*(\d{1,3}(?:\.\d{1,3}){3})\s*-\s*(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(text);
  if (!m) throw new UsageError(`--pool '${text}' is not FIRST-LAST`, { hint: `e.g. --pool ${LAB_DEFAULTS.pool.first}-${LAB_DEFAULTS.pool.last}` });
  return { first: m[1]!, last: m[2]! };
}

function parseQemuLink(text: string): { hostPort: number; guestPort: number } {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text.trim());
  const ports = m ? [Number(m[1]), Number(m[2])] : [];
  if (!m || ports.some((p) => p > 65535)) throw new UsageError(`--qemu-link '${text}' is not HOSTPORT:GUESTPORT`, { hint: 'we bind 127.0.0.1:HOSTPORT, QEMU binds GUESTPORT: e.g. --qemu-link 40100:40101 (0 picks a free port)' });
  return { hostPort: ports[0]!, guestPort: ports[1]! };
}

/** One board's payload: the file's bytes, and a fresh nonce when it is the reference payload (patched per client). */
async function payloadFor(profile: BoardProfile, path: string, perBoardDir: boolean): Promise<{ bytes: Uint8Array; nonce?: Uint8Array; name: string }> {
  const board = profile.id;
  let dir = path;
  if (perBoardDir && (await stat(join(path, board)).catch(() => undefined))?.isDirectory()) dir = join(path, board);
  const p = await describePayload(dir);
  if (!p.isDirectory) return { bytes: new Uint8Array(await readFile(dir)), name: board };
  if (p.manifest!.board !== profile.id) throw new UsageError(`${dir} holds no payload for '${profile.id}'`, { hint: `boardkit payload build -b ${profile.id} -o ${dir}` });
  return { bytes: new Uint8Array(await readFile(payloadFile(p, 'flat').file)), nonce: newNonce(), name: 'payload' };
}

export async function netbootServe(o: NetbootServeOptions): Promise<NetbootServeSummary> {
  const emit = (e: NetbootServeEvent) => o.onEvent?.(e);
  const dhcpMode = o.dhcp ?? 'off';
  if (o.image && o.payload) throw new UsageError('--image already holds the payload: pass --image or --payload, not both');
  if (o.image && o.clients) throw new UsageError('--clients with --image is not supported: one image is one board', { hint: 'serve the mixed lab with --payload DIR (one payload build per board), or one --image per server' });
  if ((o.board || o.clients) && !o.payload && !o.image) throw new UsageError('--board/--clients serve a payload: pass --payload FILE_OR_DIR (or --image out.img)');
  if (o.payload && !o.board && !o.clients) throw new UsageError('--payload needs --board (or --clients MAC=board) to know which boot files to generate');
  if (!o.root && !o.payload && !o.image) throw new UsageError('nothing to serve: pass --root DIR, --board B --payload P, or --image out.img');
  if (dhcpMode !== 'off' && !o.interface && !o.qemuLink) {
    throw new UsageError(`--dhcp ${dhcpMode} needs the lab network: --interface IF (inside a namespace that owns it) or --qemu-link`, { hint: 'DHCP over kernel sockets is only safe where the lab NIC is the only one' });
  }
  if (o.interface && o.qemuLink) throw new UsageError('--interface and --qemu-link are two different networks: pick one');
  if (o.root) {
    const st = await stat(o.root).catch((cause: unknown) => {
      throw new BoardkitError('E_NETBOOT_ROOT', 'input', `TFTP root '${o.root}' does not exist`, { cause, hint: 'point --root at the directory with the boot files' });
    });
    if (!st.isDirectory()) throw new BoardkitError('E_NETBOOT_ROOT', 'input', `TFTP root '${o.root}' is not a directory`);
  }

  // Boot files: one board for everyone, or one per client MAC.
  const clients = o.clients ? parseClients(o.clients) : [];
  const boards = o.payload ? [...new Set([...(o.board ? [o.board] : []), ...clients.map((c) => c.board)])] : [];
  if ((o.board || boards.length) && !o.registry) throw new UsageError('--board needs the board profiles (internal: no registry passed)');
  const image = o.image ? imageBootService(o.image, o.board ? o.registry!.get(o.board).profile : undefined) : undefined;
  if (image) emit(image.event);
  const perBoard = new Map<string, BoardFiles>();
  for (const board of boards) {
    const profile = o.registry!.get(board).profile;
    const p = await payloadFor(profile, o.payload!, clients.length > 0);
    const firmware = netbootFlow(profile) === 'rpi-firmware' ? await firmwareFiles(profile, o) : undefined;
    const files = new BoardFiles((bytes) => boardBootFiles(profile, bytes, { payloadName: p.name, ...(firmware ? { firmware } : {}) }), p.bytes, p.nonce);
    perBoard.set(board, files);
    const forClients = clients.filter((c) => c.board === board).map((c) => c.mac);
    const base = files.base;
    emit({ type: 'serving', board, flow: base.flow, bootFile: base.bootFile, files: Object.entries(base.files).map(([name, b]) => ({ name, bytes: b.length })), ...(p.nonce ? { nonce: nonceHex(p.nonce) } : {}), ...(forClients.length ? { clients: forClients } : {}) });
  }
  const byMac = new Map(clients.map((c) => [c.mac, perBoard.get(c.board)!]));
  // Set once the lab's address is known: where served payloads send their UDP report.
  let reportTo: string | undefined;
  const boardFiles: GeneratedFileProvider | undefined = perBoard.size
    ? (client: ClientInfo, name: string) => {
        const key = name.replace(/^\/+/, '');
        const mine = client.mac ? byMac.get(normalizeMac(client.mac)) : undefined;
        const set = (mine ?? (o.board ? perBoard.get(o.board) : undefined))?.for(client, reportTo);
        return set?.files[set.flow === 'rpi-firmware' ? stripPiSerialPrefix(key) : key];
      }
    : undefined;
  // Each listed client gets its own board's DHCP rule (option 43, boot file); --board is the default for the rest.
  const hosts: DhcpHostEntry[] = clients.map((c) => ({ mac: c.mac, bootfile: perBoard.get(c.board)!.base.bootFile, rule: perBoard.get(c.board)!.base.bootRule }));
  const main = o.board ? (perBoard.get(o.board)?.base ?? image?.main) : undefined;
  const providers = [boardFiles, image?.files].filter((p): p is GeneratedFileProvider => p !== undefined);
  const generated = providers.length ? firstOf(...providers) : undefined;

  // Where: a QEMU link through our userspace stack, or kernel sockets (optionally on a lab NIC).
  const listen = parseListen(o.listen);
  let where: Pick<LabNetworkOptions, 'link' | 'network' | 'dhcpNetwork' | 'serverIp' | 'subnetMask' | 'pool' | 'listen'>;
  if (o.qemuLink) {
    if (!o.openQemuLink) throw new UsageError('--qemu-link is not available in this build (no QEMU link transport)');
    const qlink = await o.openQemuLink(parseQemuLink(o.qemuLink));
    const pool = parsePool(o.pool);
    where = { link: qlink, ...(pool ? { pool } : {}), listen: { port: listen.port } };
    emit({ type: 'qemu-link', netdev: qlink.netdevArg('n0'), hostPort: qlink.hostPort, guestPort: qlink.guestPort });
  } else if (o.interface) {
    if (!o.readInterfaces) throw new UsageError('--interface is not available in this build (no interface reader)');
    const pool = parsePool(o.pool);
    const lab = planLabInterface(await o.readInterfaces(), o.interface, { dhcp: dhcpMode, ...(o.force ? { force: true } : {}), ...(pool ? { pool } : {}) });
    if (dhcpMode !== 'off' && !o.broadcastNetwork) throw new UsageError('DHCP on --interface is not available in this build (no broadcast transport)');
    where = {
      network: o.network,
      ...(dhcpMode !== 'off' ? { dhcpNetwork: o.broadcastNetwork!(lab.serverIp) } : {}),
      serverIp: lab.serverIp,
      subnetMask: lab.subnetMask,
      pool: lab.pool,
      listen: listen.address === '0.0.0.0' ? { address: lab.serverIp, port: listen.port } : listen,
    };
  } else where = { network: o.network, listen };

  const ubootBoards = [...perBoard.entries()].filter(([, f]) => f.base.flow === 'uboot-script').map(([b]) => b);
  if (image?.event.flow === 'uboot-script') ubootBoards.push(image.event.board!);
  if (dhcpMode === 'proxy' && ubootBoards.length) {
    const serverIp = where.serverIp ?? (o.qemuLink ? LAB_DEFAULTS.serverIp : undefined);
    emit({ type: 'warning', code: 'uboot-ignores-proxy-dhcp', boards: ubootBoards, alternatives: ['full-dhcp-in-namespace', 'uboot-serverip-env'], ...(serverIp ? { serverIp } : {}) });
  }

  const summary = { transfers: 0, failed: 0, bytes: 0 };
  const lab = await LabNetwork.start({
    ...where,
    dhcp: dhcpMode,
    ...(o.root ? { root: new FileRoot(o.root, { perClient: o.perClient ?? [] }) } : {}),
    ...(generated ? { files: generated } : {}),
    ...(main ? { bootRules: [main.bootRule], bootFile: main.bootFile } : {}),
    hosts,
    // Unset (undefined) values leave the server's defaults (TFTP_DEFAULTS).
    tftp: { uploadRoot: o.uploadDir, blksizeMax: o.blksizeMax, pathMtu: o.pathMtu, windowsizeMax: o.windowsizeMax, maxTransfers: o.maxTransfers, maxTransfersPerClient: o.maxTransfersPerClient },
    onEvent: (e) => {
      if (e.type === 'transfer-done') {
        summary.transfers++;
        summary.bytes += e.bytes;
      } else if (e.type === 'transfer-error') summary.failed++;
      emit(e);
    },
  });
  const reports: ServedReport[] = [];
  let listener: ReportListener | undefined;
  try {
    const served = new Map([...perBoard].filter(([, f]) => f.nonce).map(([b, f]) => [b, nonceHex(f.nonce!)]));
    if (served.size) {
      // Our address on the lab link; on unspecific kernel sockets, the limited broadcast (any listener on the port hears it).
      const ours = lab.serverIp ?? (isIpv4(listen.address) && listen.address !== '0.0.0.0' ? listen.address : undefined);
      const net = lab.stack?.network ?? o.network;
      try {
        listener = await ReportListener.start(net, { address: lab.stack ? undefined : (ours ?? '0.0.0.0'), port: NETBOOT_REPORT_PORT }, (r, from) => {
          const judged = judgeReport(r, from, served);
          const mac = lab.dhcp?.macOf(from.address);
          reports.push(judged);
          emit({ type: 'report', ...judged, ...(mac ? { mac } : {}) });
        });
        reportTo = ours ?? '255.255.255.255';
      } catch (err) {
        emit({ type: 'warning', code: 'report-port-unavailable', port: NETBOOT_REPORT_PORT, message: err instanceof Error ? err.message : String(err) });
      }
    }
    if (!o.signal?.aborted) await new Promise<void>((resolve) => o.signal?.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await listener?.close();
    await lab.close();
  }
  return { address: lab.address, ...summary, leases: lab.dhcp?.leases().length ?? 0, reports };
}

/** The VideoCore files of a Pi's boot chain (bootcode.bin, start*.elf, fixup*.dat), from the verified cache, by TFTP name. */
async function firmwareFiles(profile: BoardProfile, o: Pick<NetbootServeOptions, 'cacheDir' | 'manifestDir'>): Promise<Record<string, Uint8Array>> {
  const manifests = loadManifests(o.manifestDir);
  const ids = profile.bootChain.filter((s) => s.kind === 'firmware').flatMap((s) => s.artifacts ?? []);
  const files = await Promise.all(
    ids.map(async (id) => {
      const path = await resolveArtifact(id, { ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}), manifests });
      return [manifests.get(id).filename, new Uint8Array(await readFile(path))] as const;
    }),
  );
  return Object.fromEntries(files);
}

