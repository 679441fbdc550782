import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveArtifact } from '../../src/artifacts/resolve-artifact.js';
import { loadBoards } from '../../src/boards/loader.js';
import { readConfigBlock } from '../../src/payload/config-block.js';
import type { ChildHandle } from '../../src/transports/spawner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { buildBoardPayload } from '../../src/workflows/payload-build.js';
import { followJsonEvents } from '../helpers/json-events.js';
import { ipRunner, netnsSkipReason } from '../helpers/netns.js';
import { nodeRunEnvironment, ROOT } from '../helpers/node-env.js';

/**
 * A mixed lab on one link, one server: `--board qemu-riscv64-virt` (the default) with
 * `--clients <pi>=rpi4b,<pc>=x86-kiosk`. An independent client (scapy, test/netboot/dhcp-probe.py)
 * sends the DISCOVERs a U-Boot, a Pi 4 EEPROM and a UEFI x64 PXE ROM send (U-Boot net/bootp.c; the Pi 4 EEPROM netboot exchange; EDK2 PXE)
 * and decodes the offers; each must carry its own board's rules, in full and in proxy mode. Then
 * curl, from each client's address, fetches what that client's board boots (the Pi's files under
 * its `<serial>/` prefix), and the U-Boot client's address does not get the Pi's files.
 * Topology (namespaces the test creates): S: vS 192.0.2.1/24 ⟷ C: vC (the clients).
 */
const bin = join(ROOT, 'bin', 'boardkit.js');
const probe = join(ROOT, 'test', 'netboot', 'dhcp-probe.py');
const spawner = new NodeSpawner();
const env = nodeRunEnvironment();
const S = `bk-mxs-${process.pid}`;
const C = `bk-mxc-${process.pid}`;
const UBOOT_MAC = '52:54:00:00:00:10';
const PI_MAC = 'dc:a6:32:01:36:c2';
const PC_MAC = '52:54:00:00:00:07';
const SERIAL = '9ffefdef';

async function skipReason(): Promise<string | undefined> {
  const common = netnsSkipReason();
  if (common) return common;
  const r = await spawner.run('/usr/bin/python3', ['-c', 'import scapy'], { timeoutMs: 20_000 }).catch(() => undefined);
  if (r?.exitCode !== 0) return 'python3-scapy (the independent DHCP client and decoder) is not installed';
  if (!(await spawner.which('curl'))) return 'curl (the TFTP client) is not installed';
  return undefined;
}
const skip = await skipReason();

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
/** PXE 2.1 §2.4 option 43 as a Pi's ROM requires it: discovery control 3, prompt "PXE" timeout 0, one menu item (type 0) "Raspberry Pi Boot" (+3 spaces for the 3B ROM). */
const PI_DESC = 'Raspberry Pi Boot   ';
const PI_OPTION_43 = `060103` + `0a0400${hex('PXE')}` + `09${(PI_DESC.length + 3).toString(16).padStart(2, '0')}0000${PI_DESC.length.toString(16).padStart(2, '0')}${hex(PI_DESC)}` + 'ff';

interface Offer {
  yiaddr: string;
  siaddr: string;
  file: string;
  named: Record<string, string | number>;
  options: Record<string, string>;
}
interface ProbeResult {
  mac: string;
  offers: Offer[];
  acks?: Offer[];
  requested?: string;
}

describe.skipIf(skip !== undefined)(`mixed lab: U-Boot, Pi 4 and UEFI clients of one server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  const children: ChildHandle[] = [];
  const ip = ipRunner(spawner);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'boardkit-mixed-lab-'));
    const registry = await loadBoards([join(ROOT, 'boards')]);
    for (const board of ['qemu-riscv64-virt', 'rpi4b', 'x86-kiosk']) {
      await buildBoardPayload(registry, { board, outDir: join(dir, 'payload', board), drivers: ['uart'] }, { spawner });
    }
    await ip('netns', 'add', S);
    await ip('netns', 'add', C);
    for (const ns of [S, C]) await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', S, 'link', 'add', 'vS', 'type', 'veth', 'peer', 'name', 'vC', 'netns', C);
    await ip('-n', S, 'addr', 'add', '192.0.2.1/24', 'dev', 'vS');
    await ip('-n', S, 'link', 'set', 'vS', 'up');
    await ip('-n', C, 'link', 'set', 'vC', 'up');
  }, 240_000);
  afterAll(async () => {
    for (const c of children) {
      c.kill('SIGKILL');
      await c.exited;
    }
    for (const ns of [S, C]) await spawner.run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 }).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `curl tftp://192.0.2.1/NAME` from namespace C with `addr` as the client's address. */
  async function fetchAs(addr: string, names: string[]): Promise<Record<string, Uint8Array | undefined>> {
    await ip('-n', C, 'addr', 'add', `${addr}/24`, 'dev', 'vC');
    try {
      const out: Record<string, Uint8Array | undefined> = {};
      for (const name of names) {
        const r = await spawner.run('ip', ['netns', 'exec', C, 'curl', '-s', '--fail', '--max-time', '20', `tftp://192.0.2.1/${name}`], { timeoutMs: 30_000 });
        out[name] = r.exitCode === 0 ? new Uint8Array(r.stdout) : undefined;
      }
      return out;
    } finally {
      await ip('-n', C, 'addr', 'del', `${addr}/24`, 'dev', 'vC');
    }
  }

  for (const mode of ['full', 'proxy'] as const) {
    it(`--dhcp ${mode}: each client gets its own board's DHCP and TFTP rules`, async () => {
      const server = await spawner.spawn('ip', ['netns', 'exec', S, process.execPath, bin, 'netboot', 'serve', '--dhcp', mode, '--interface', 'vS', '--board', 'qemu-riscv64-virt', '--clients', `${PI_MAC}=rpi4b,${PC_MAC}=x86-kiosk`, '--payload', join(dir, 'payload'), '--json']);
      children.push(server);
      try {
        const stream = followJsonEvents(server);
        const need = mode === 'proxy' ? 2 : 1;
        await stream.waitFor((es) => es.filter((e) => e.type === 'dhcp' && e.event.type === 'listening').length >= need, 30_000);
        expect(stream.events().filter((e) => e.type === 'dhcp' && e.event.type === 'listening').length, stream.stderr()).toBe(need);
        const serving = Object.fromEntries(stream.events().filter((e) => e.type === 'serving').map((e) => [e.board as string, e]));
        expect(Object.keys(serving).sort()).toEqual(['qemu-riscv64-virt', 'rpi4b', 'x86-kiosk']);
        if (mode === 'proxy') {
          // U-Boot (the default board) ignores proxy offers: the server says so and how to do instead.
          const w = stream.events().find((e) => e.type === 'warning');
          expect(w).toMatchObject({ code: 'uboot-ignores-proxy-dhcp', boards: ['qemu-riscv64-virt'], alternatives: ['full-dhcp-in-namespace', 'uboot-serverip-env'], serverIp: '192.0.2.1' });
        }

        // In proxy mode the clients REQUEST their address from another server (192.0.2.2, not running):
        // we only see that request, and it is how a TFTP request from that address is tied to the MAC.
        const req = (n: number) => (mode === 'full' ? { ip: 'offered', server: '192.0.2.1', expectAck: true } : { ip: `192.0.2.${n}`, server: '192.0.2.2' });
        const probes = [
          { mac: UBOOT_MAC, kind: 'uboot', xid: 0x1000, request: req(51) },
          { mac: PI_MAC, kind: 'rpi4', xid: 0x2000, request: req(52) },
          { mac: PC_MAC, kind: 'uefi', xid: 0x3000, request: req(53) },
        ];
        const r = await spawner.run('ip', ['netns', 'exec', C, '/usr/bin/python3', probe, 'vC'], { input: JSON.stringify(probes), timeoutMs: 60_000 });
        expect(r.exitCode, r.stderr.toString()).toBe(0);
        const results = (JSON.parse(r.stdout.toString()) as { results: ProbeResult[] }).results;
        const of = (mac: string) => results.find((x) => x.mac === mac)!;
        for (const x of results) expect(x.offers, `one offer for ${x.mac} (${mode}): ${stream.stderr()}`).toHaveLength(1);
        const [uboot, pi, pc] = [of(UBOOT_MAC).offers[0]!, of(PI_MAC).offers[0]!, of(PC_MAC).offers[0]!];

        for (const o of [uboot, pi, pc]) {
          expect(o.siaddr).toBe('192.0.2.1');
          expect(o.options['54']).toBe('c0000201'); // server identifier 192.0.2.1
          if (mode === 'proxy') expect(o.yiaddr).toBe('0.0.0.0');
          else expect(o.yiaddr).toMatch(/^192\.0\.2\.\d+$/);
        }
        // U-Boot (not listed: --board's rules): the generated script, no PXE option 43.
        expect(uboot.file).toBe('boot.scr.uimg');
        expect(uboot.options['43']).toBeUndefined();
        // Pi 4 (listed): option 43 with "Raspberry Pi Boot", vendor class PXEClient, its own boot file.
        expect(pi.options['43']).toBe(PI_OPTION_43);
        expect(Buffer.from(pi.options['43']!, 'hex').toString('latin1')).toContain('Raspberry Pi Boot');
        expect(pi.options['60']).toBe(hex('PXEClient'));
        expect(pi.named.vendor_class_id).toBe('PXEClient');
        expect(pi.file).toBe('start4.elf');
        // UEFI PC (listed, option 93 = 7): the EFI boot file, PXE discovery control "use this file" (bit 3).
        expect(pc.file).toBe('bootx64.efi');
        expect(pc.options['43']).toBe('060108ff');
        expect(pc.options['60']).toBe(hex('PXEClient'));
        if (mode === 'full') {
          for (const x of results) {
            expect(x.acks, `ack for ${x.mac}`).toHaveLength(1);
            expect(x.acks![0]!.yiaddr).toBe(x.offers[0]!.yiaddr);
            expect(x.acks![0]!.file).toBe(x.offers[0]!.file);
            expect(x.acks![0]!.options['43']).toBe(x.offers[0]!.options['43']);
          }
        }

        // TFTP: each address gets its own board's files (the Pi's under its serial prefix too).
        const addr = (mac: string) => of(mac).requested!;
        const piFiles = await fetchAs(addr(PI_MAC), [`${SERIAL}/start4.elf`, `${SERIAL}/config.txt`, 'fixup4.dat', `${SERIAL}/kernel8.img`]);
        const cached = async (id: string) => sha(new Uint8Array(await readFile(await resolveArtifact(id, { cacheDir: env.cacheDir, manifestDir: env.manifestDir }))));
        expect(piFiles[`${SERIAL}/start4.elf`] && sha(piFiles[`${SERIAL}/start4.elf`]!)).toBe(await cached('rpi-start4-elf'));
        expect(piFiles['fixup4.dat'] && sha(piFiles['fixup4.dat']!)).toBe(await cached('rpi-fixup4-dat'));
        expect(new TextDecoder().decode(piFiles[`${SERIAL}/config.txt`])).toContain('kernel=kernel8.img');
        const piBlock = readConfigBlock(piFiles[`${SERIAL}/kernel8.img`]!);
        expect(Buffer.from(piBlock.nonce).toString('hex')).toBe(serving.rpi4b!.nonce);
        // The report addresses patched for this client: from its own address and MAC, to the server on this link.
        expect(piBlock).toMatchObject({ ip: addr(PI_MAC), mac: PI_MAC, peerIp: '192.0.2.1', peerPort: 40001 });

        const pcFiles = await fetchAs(addr(PC_MAC), ['bootx64.efi', 'boot.scr.uimg']);
        expect(Buffer.from(pcFiles['bootx64.efi']!.subarray(0, 2)).toString('latin1')).toBe('MZ');
        expect(Buffer.from(readConfigBlock(pcFiles['bootx64.efi']!).nonce).toString('hex')).toBe(serving['x86-kiosk']!.nonce);

        const ubootFiles = await fetchAs(addr(UBOOT_MAC), ['boot.scr.uimg', 'payload.uimg', `${SERIAL}/start4.elf`, 'bootx64.efi']);
        expect(Buffer.from(ubootFiles['boot.scr.uimg']!.subarray(0, 4)).toString('hex')).toBe('27051956'); // uImage magic
        expect(Buffer.from(readConfigBlock(ubootFiles['payload.uimg']!.subarray(64)).nonce).toString('hex')).toBe(serving['qemu-riscv64-virt']!.nonce);
        expect(ubootFiles[`${SERIAL}/start4.elf`], 'the U-Boot client does not get the Pi firmware').toBeUndefined();
        expect(ubootFiles['bootx64.efi'], 'nor the PC boot file').toBeUndefined();
      } finally {
        server.kill('SIGINT');
        await server.exited;
      }
    }, 240_000);
  }
});
