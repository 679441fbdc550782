/**
 * The reference payload's UDP report, received by the netboot server that served the payload.
 *
 * The payload's Ethernet driver sends one datagram, `BOARDKIT nonce=<32 hex> board=<id>\n`
 * (boot/net/udp-report.c), from the address and to the address/port patched into its config block.
 * `netboot serve` patches the server's own address on the lab link as the destination, so on a real
 * lab network (not only on QEMU's link, where the host sees every frame) the server receives it,
 * and only a payload whose NIC driver really transmitted can produce this run's nonce.
 *
 * Lifecycle: `ReportListener.start()` binds `port` on the given network → `onReport` per datagram
 * that is a boardkit report → `close()` (idempotent). Datagrams that are not reports are counted,
 * never thrown on.
 */
import type { Datagram, DatagramAddress, DatagramLink, DatagramNetwork } from '../transports/datagram-link.js';

/** Where `netboot serve` asks served payloads to send their report (the same port `run` uses). */
export const NETBOOT_REPORT_PORT = 40001;

export interface ReportDatagram {
  nonce: string;
  board: string;
}

/** The report text as the payload writes it; undefined for anything else. */
export function parseReportDatagram(data: Uint8Array): ReportDatagram | undefined {
  if (data.length > 128) return undefined;
  let text = '';
  for (const b of data) text += String.fromCharCode(b);
  const m = /^BOARDKIT nonce=([0-9a-f]{32}) board=([a-z0-9][a-z0-9-]*)\n?$/.exec(text);
  return m ? { nonce: m[1]!, board: m[2]! } : undefined;
}

/** One received report judged against what was served: `pass` only when board and nonce are this run's. */
export interface ServedReport {
  from: DatagramAddress;
  board: string;
  nonce: string;
  verdict: 'pass' | 'fail';
  /** Why it failed (an old nonce, a board we did not serve). */
  reason?: string;
}

/** Judges a report against the nonce served per board. */
export function judgeReport(r: ReportDatagram, from: DatagramAddress, served: ReadonlyMap<string, string>): ServedReport {
  const want = served.get(r.board);
  const base = { from, board: r.board, nonce: r.nonce };
  if (want === undefined) return { ...base, verdict: 'fail', reason: `this server served no payload for board '${r.board}'` };
  if (want !== r.nonce) return { ...base, verdict: 'fail', reason: `nonce ${r.nonce} is not this run's (${want}): a stale payload answered` };
  return { ...base, verdict: 'pass' };
}

export class ReportListener {
  private closed = false;
  ignored = 0;

  private constructor(private readonly link: DatagramLink) {}

  static async start(network: DatagramNetwork, local: Partial<DatagramAddress>, onReport: (r: ReportDatagram, from: DatagramAddress) => void): Promise<ReportListener> {
    const link = await network.bind(local);
    const listener = new ReportListener(link);
    link.onMessage((d: Datagram) => {
      const r = parseReportDatagram(d.data);
      if (r) onReport(r, d.from);
      else listener.ignored++;
    });
    return listener;
  }

  get local(): DatagramAddress {
    return this.link.local;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.close();
  }
}
