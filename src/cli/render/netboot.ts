import type { ProgressEvent } from '../../core/progress.js';
import type { LabEvent, LabProgressEvent } from '../../netboot/lab-network.js';
import type { NetbootServeEvent, NetbootServeSummary, ServeWarning } from '../../workflows/netboot-serve.js';

/**
 * The netboot servers' events as text: the only place they become words. `netboot serve` prints
 * one line per event (`tftp: ...`, `dhcp: ...`, `netboot: ...`); `run --netboot` shows the same
 * text as task progress.
 */

/** What a lab event says, and which server said it; `text` undefined: shown only with --verbose. */
export function describeLabEvent(e: LabEvent): { source: 'tftp' | 'dhcp'; text: string | undefined } {
  if (e.type === 'dhcp') {
    const d = e.event;
    switch (d.type) {
      case 'offer':
      case 'ack':
        return { source: 'dhcp', text: `${d.type} ${d.yiaddr} to ${d.mac}${d.bootfile ? ` (file ${d.bootfile})` : ''}` };
      case 'received':
        return { source: 'dhcp', text: `${d.messageType} from ${d.mac}${d.vendorClass ? ` (${d.vendorClass})` : ''}` };
      case 'listening':
        return { source: 'dhcp', text: `listening on ${d.address.address}:${d.address.port}` };
      default:
        return { source: 'dhcp', text: undefined };
    }
  }
  const c = 'client' in e ? `${e.client.address}:${e.client.port}` : 'transfer' in e ? `${e.transfer.client.address}:${e.transfer.client.port}` : '';
  const text = (() => {
    switch (e.type) {
      case 'listening':
        return `listening on ${e.address.address}:${e.address.port}, ${e.engine === 'native-pump' ? 'native pump' : 'TypeScript engine'}`;
      case 'transfer-start':
        return `${c} ${e.transfer.op} ${e.transfer.file} (${e.transfer.size ?? '?'} bytes, blksize ${e.transfer.blksize}, windowsize ${e.transfer.windowsize})`;
      case 'transfer-done':
        return `${c} ${e.transfer.file} done: ${e.bytes} bytes in ${(e.durationMs / 1000).toFixed(2)} s, ${e.retransmits} retransmits`;
      case 'transfer-abort':
        return `${c} ${e.transfer.file} ended by client: ${e.message || `error ${e.code}`}`;
      case 'transfer-error':
        return `${c} ${e.transfer.file} failed: ${e.message}`;
      case 'request-refused':
        return `${c} ${e.file || '(request)'} refused (error ${e.code}): ${e.message}`;
      default:
        return undefined;
    }
  })();
  return { source: 'tftp', text };
}

/** One stderr line for a `netboot serve` event, or undefined (nothing to show at this verbosity). */
export function renderServeEvent(e: NetbootServeEvent, verbose: boolean): string | undefined {
  if (e.type === 'serving') {
    return `netboot: ${e.board} (${e.flow}): DHCP file ${e.bootFile}; ${e.files.map((f) => `${f.name} ${f.bytes} B`).join(', ')}${e.nonce ? `; payload nonce ${e.nonce}` : ''}${e.clients ? `; for ${e.clients.join(', ')}` : ''}`;
  }
  if (e.type === 'warning') return renderServeWarning(e);
  if (e.type === 'serving-image') {
    const boot = e.board ? `; ${e.board} (${e.flow}): DHCP file ${e.bootFile}${e.payloadFile ? `, its netboot script fetches ${e.payloadFile} from the image` : ''}` : '';
    return `netboot: ${e.image} partition ${e.partition} (${e.table}): ${e.files.map((f) => `${f.name} ${f.bytes} B`).join(', ')}${boot}`;
  }
  if (e.type === 'report') {
    const who = `${e.from.address}${e.mac ? ` (${e.mac})` : ''}`;
    return `report: ${e.board} at ${who}: ${e.verdict === 'pass' ? `PASS, this run's nonce ${e.nonce}` : `FAIL, ${e.reason}`}`;
  }
  if (e.type === 'qemu-link') return `netboot: start QEMU with -nodefaults -netdev ${e.netdev} and a NIC on netdev n0`;
  const { source, text } = describeLabEvent(e);
  if (text !== undefined) return `${source}: ${text}${e.type === 'listening' ? ' (Ctrl-C stops)' : ''}`;
  return verbose ? `${source}: ${JSON.stringify(e.type === 'dhcp' ? e.event : e)}` : undefined;
}

/** The warning's words: what will not work and what to do instead. */
export function renderServeWarning(w: ServeWarning): string {
  if (w.code === 'report-port-unavailable') {
    return `warning: cannot receive payload reports on UDP port ${w.port} (${w.message}); boots are served, their reports are not recorded (is another netboot server running here?)`;
  }
  const boards = w.boards.join(', ');
  return [
    `warning: --dhcp proxy with U-Boot (${boards}): U-Boot ignores proxyDHCP offers unless built with CONFIG_SERVERIP_FROM_PROXYDHCP (distro builds are not), so it will not find this server.`,
    '  instead: run full DHCP on an isolated lab link (`ip netns exec LAB boardkit netboot serve --dhcp full --interface IF ...`),',
    `  or give U-Boot this server in its environment and fetch the generated script yourself:`,
    `  setenv bootcmd 'setenv autoload no; dhcp; setenv serverip ${w.serverIp ?? 'SERVER_IP'}; tftpboot \${scriptaddr} boot.scr.uimg; source \${scriptaddr}'; saveenv`,
  ].join('\n');
}

export function renderServeSummary(s: NetbootServeSummary): string {
  const pass = s.reports.filter((r) => r.verdict === 'pass').length;
  const reports = s.reports.length ? `; ${s.reports.length} payload report(s), ${pass} pass` : '';
  return `tftp: stopped after ${s.transfers} transfers (${s.bytes} bytes, ${s.failed} failed)${s.leases ? `; ${s.leases} DHCP lease(s)` : ''}${reports}`;
}

/** A lab event carried on a generic progress stream (`labProgress` in netboot/lab-network.ts). */
function isLabProgress(e: ProgressEvent): e is LabProgressEvent {
  return (e.source === 'tftp' || e.source === 'dhcp') && typeof e.data?.type === 'string';
}

/** The text of a netboot server event on `run`'s progress stream; undefined for other events. */
export function netbootProgressText(e: ProgressEvent): string | undefined {
  if (!isLabProgress(e)) return undefined;
  return describeLabEvent(e.source === 'dhcp' ? { type: 'dhcp', event: e.data } : e.data).text;
}
