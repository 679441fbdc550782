/**
 * The netboot servers' typed events become text only in cli/render/netboot.ts: `netboot serve`
 * lines and `run --netboot` progress lines come from the same events the servers emit (no text
 * made in netboot/ or workflows/, no event flattened and cast back on the way).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/node-env.js';
import { netbootProgressText, renderServeEvent, renderServeSummary } from '../../src/cli/render/netboot.js';
import { labProgress, type LabEvent } from '../../src/netboot/lab-network.js';
import type { TftpTransferInfo } from '../../src/netboot/tftp-server.js';

const transfer: TftpTransferInfo = { id: 1, op: 'RRQ', client: { address: '192.0.2.100', port: 1234 }, file: 'payload.uimg', mode: 'octet', blksize: 1468, windowsize: 16, size: 4096, origin: 'generated', engine: 'native-pump' };

describe('netboot event rendering', () => {
  it('serve: one line per TFTP and DHCP event, verbose-only events as JSON', () => {
    expect(renderServeEvent({ type: 'listening', address: { address: '127.0.0.1', port: 69 }, engine: 'native-pump' }, false)).toBe('tftp: listening on 127.0.0.1:69, native pump (Ctrl-C stops)');
    expect(renderServeEvent({ type: 'transfer-done', transfer, bytes: 4096, durationMs: 1500, retransmits: 2 }, false)).toBe('tftp: 192.0.2.100:1234 payload.uimg done: 4096 bytes in 1.50 s, 2 retransmits');
    expect(renderServeEvent({ type: 'dhcp', event: { type: 'listening', address: { address: '0.0.0.0', port: 67 } } }, false)).toBe('dhcp: listening on 0.0.0.0:67');
    const progress: LabEvent = { type: 'transfer-progress', transfer, bytes: 1 << 20 };
    expect(renderServeEvent(progress, false)).toBeUndefined();
    expect(JSON.parse(renderServeEvent(progress, true)!.replace(/^tftp: /, ''))).toMatchObject({ type: 'transfer-progress', bytes: 1 << 20 });
    expect(renderServeEvent({ type: 'qemu-link', netdev: 'dgram,id=n0', hostPort: 1, guestPort: 2 }, false)).toBe('netboot: start QEMU with -nodefaults -netdev dgram,id=n0 and a NIC on netdev n0');
    expect(renderServeSummary({ address: { address: '0.0.0.0', port: 69 }, transfers: 2, failed: 0, bytes: 10, leases: 1, reports: [] })).toBe('tftp: stopped after 2 transfers (10 bytes, 0 failed); 1 DHCP lease(s)');
  });

  it('serve: payload reports and warnings are typed events, worded here', () => {
    const from = { address: '192.0.2.100', port: 40000 };
    const nonce = '0123456789abcdef0123456789abcdef';
    expect(renderServeEvent({ type: 'report', from, board: 'qemu-riscv64-virt', nonce, verdict: 'pass', mac: '52:54:00:12:34:56' }, false)).toBe(`report: qemu-riscv64-virt at 192.0.2.100 (52:54:00:12:34:56): PASS, this run's nonce ${nonce}`);
    expect(renderServeEvent({ type: 'report', from, board: 'rpi4b', nonce, verdict: 'fail', reason: 'stale' }, false)).toBe('report: rpi4b at 192.0.2.100: FAIL, stale');
    const w = renderServeEvent({ type: 'warning', code: 'uboot-ignores-proxy-dhcp', boards: ['qemu-riscv64-virt'], alternatives: ['full-dhcp-in-namespace', 'uboot-serverip-env'], serverIp: '192.0.2.1' }, false)!;
    expect(w).toMatch(/^warning: --dhcp proxy with U-Boot \(qemu-riscv64-virt\): U-Boot ignores proxyDHCP offers unless built with CONFIG_SERVERIP_FROM_PROXYDHCP/);
    expect(w).toContain('--dhcp full --interface IF');
    expect(w).toContain("setenv bootcmd 'setenv autoload no; dhcp; setenv serverip 192.0.2.1; tftpboot ${scriptaddr} boot.scr.uimg; source ${scriptaddr}'; saveenv");
    const summary = { address: { address: '0.0.0.0', port: 69 }, transfers: 2, failed: 0, bytes: 10, leases: 1, reports: [{ from, board: 'b', nonce, verdict: 'pass' as const }] };
    expect(renderServeSummary(summary)).toBe('tftp: stopped after 2 transfers (10 bytes, 0 failed); 1 DHCP lease(s); 1 payload report(s), 1 pass');
  });

  it("run: a lab event on the progress stream keeps its type and its data; the CLI renders the same text as serve's", () => {
    const done: LabEvent = { type: 'transfer-done', transfer, bytes: 4096, durationMs: 1500, retransmits: 2 };
    const p = labProgress(done);
    expect(p).toMatchObject({ source: 'tftp', type: 'transfer-done', data: done });
    expect(p.message).toBeUndefined(); // no text made outside cli/render
    expect(netbootProgressText(p)).toBe(renderServeEvent(done, false)!.replace(/^tftp: /, ''));
    const ack: LabEvent = { type: 'dhcp', event: { type: 'ack', mac: '52:54:00:12:34:56', xid: 1, proxy: false, yiaddr: '192.0.2.100', siaddr: '192.0.2.1', bootfile: 'boot.scr.uimg' } };
    expect(labProgress(ack)).toMatchObject({ source: 'dhcp', type: 'ack', data: { mac: '52:54:00:12:34:56', bootfile: 'boot.scr.uimg' } });
    expect(netbootProgressText(labProgress(ack))).toBe('ack 192.0.2.100 to 52:54:00:12:34:56 (file boot.scr.uimg)');
    expect(netbootProgressText({ source: 'qemu', type: 'stage', message: 'x' })).toBeUndefined();
  });

  it('serve --help says U-Boot ignores proxy offers without SERVERIP_FROM_PROXYDHCP, and what to do instead', () => {
    const help = execFileSync(process.execPath, [join(ROOT, 'bin', 'boardkit.js'), 'netboot', 'serve', '--help'], { cwd: ROOT }).toString().replace(/\s+/g, ' ');
    expect(help).toContain('U-Boot ignores proxy offers unless built with SERVERIP_FROM_PROXYDHCP');
    expect(help).toMatch(/full DHCP on an isolated link, or set serverip in U-Boot's environment/);
    expect(help).toContain('--image');
  });
});
