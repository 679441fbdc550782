import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourcesHaveComponent } from '../../src/workflows/doctor/apt-sources.js';
import { checkNativeAddons, checkNode } from '../../src/workflows/doctor/checks.js';
import { nonFreeFirmwareSource, NON_FREE_FIRMWARE_SOURCE_FILE, POLICY_RCD, UDEV_RULES_FILE } from '../../src/workflows/doctor/fixes.js';
import { parsePackageList } from '../../src/workflows/doctor/packages.js';
import type { DoctorFacts, DoctorProbes } from '../../src/workflows/doctor/probes.js';
import { runDoctor } from '../../src/workflows/doctor/doctor.js';
import { FakeSpawner, type ScriptedRun, type SpawnerCall } from '../../src/transports/fake/fake-spawner.js';

const ROOT = join(import.meta.dirname, '../..');
const PACKAGE_LIST = readFileSync(join(ROOT, '.ci/debian-packages.txt'), 'utf8');
const SPECS = parsePackageList(PACKAGE_LIST);

/** A placeholder mirror (RFC 2606 .invalid): fake data must not name a real archive host. */
const MIRROR = 'http://mirror.invalid/debian';
const DEBIAN_SOURCES = `Types: deb\nURIs: ${MIRROR}\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
const NFF_SOURCE = nonFreeFirmwareSource(MIRROR, 'bookworm');

/**
 * A fake Debian host with state: apt-get install puts tools on PATH, dpkg --add-architecture adds
 * the architecture, apt-get update writes package lists, writeFile creates files. So a --fix run
 * can be checked by the checks that follow it, not by the list of commands alone.
 */
class FakeHost {
  files = new Map<string, string>([
    ['/etc/apt/sources.list.d/debian.sources', DEBIAN_SOURCES],
    ['/etc/group', 'root:x:0:\ndialout:x:20:\nplugdev:x:46:\nalice:x:1000:\n'],
    ['/etc/passwd', 'root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n'],
  ]);
  /** Every command answers through `answer`; coreutils and dpkg's own tools are always there. */
  readonly spawner = new FakeSpawner({ tools: ['apt-get', 'dpkg-deb', 'dpkg', 'dpkg-query', 'rm', 'chmod'] }).onRun(() => true, (call) => this.answer(call));
  installed = new Set<string>();
  archs: string[] = [];
  lists = ['mirror.invalid_debian_dists_bookworm_main_binary-amd64_Packages.lz4'];
  policyDuringInstall: boolean | undefined;
  constructor(missing: string[] = []) {
    for (const s of SPECS) {
      if (missing.includes(s.package)) continue;
      this.installed.add(s.package);
      if (s.tool) this.addTool(s.tool);
    }
  }
  /** What ran, as `tool args...` lines. */
  get calls(): string[] {
    return this.spawner.commandLines('run');
  }
  private addTool(tool: string): void {
    this.spawner.tools.set(tool, `/usr/bin/${tool}`);
  }
  private answer({ tool, args, options }: SpawnerCall): ScriptedRun {
    let stdout = '';
    if (tool === 'dpkg-query') stdout = args.slice(2).map((p) => `${p} ${this.installed.has(p) ? 'ii ' : 'un '}`).join('\n');
    else if (tool === 'dpkg' && args[0] === '--print-foreign-architectures') stdout = this.archs.join('\n');
    else if (tool === 'dpkg' && args[0] === '--add-architecture') this.archs.push(args[1]!);
    else if (tool === 'apt-get' && args[0] === 'update') {
      if (this.archs.includes('arm64')) this.lists.push('mirror.invalid_debian_dists_bookworm_main_binary-arm64_Packages.lz4');
      if ([...this.files.values()].some((t) => t.includes('non-free-firmware'))) this.lists.push('mirror.invalid_debian_dists_bookworm_non-free-firmware_binary-amd64_Packages.lz4');
    } else if (tool === 'apt-get' && args[0] === 'install') {
      expect(options.env?.DEBIAN_FRONTEND).toBe('noninteractive');
      this.policyDuringInstall = this.files.get(POLICY_RCD)?.includes('exit 101');
      for (const p of args.filter((a) => !a.startsWith('-') && a !== 'install')) {
        this.installed.add(p);
        const t = SPECS.find((s) => s.package === p)?.tool;
        if (t) this.addTool(t);
      }
    } else if (tool === 'rm') this.files.delete(args[args.length - 1]!);
    return { stdout };
  }
  probes(uid: number, env: Record<string, string>): DoctorProbes {
    const dirOf = (dir: string) => [...this.files.keys()].filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1));
    return {
      readFile: async (p) => this.files.get(p),
      listDir: async (p) => (p === '/var/lib/apt/lists' ? this.lists : dirOf(p)),
      exists: async (p) => this.files.has(p),
      writeFile: async (p, content) => void this.files.set(p, content),
      spawner: this.spawner,
      env,
      nodeVersion: '20.20.2',
      uid,
    };
  }
}

describe('doctor checks (fake host)', () => {
  it('a complete host: every check ok except what a plain user lacks; no plan', async () => {
    const host = new FakeHost();
    host.archs = ['arm64'];
    host.files.set(NON_FREE_FIRMWARE_SOURCE_FILE, NFF_SOURCE);
    host.lists.push('x_binary-arm64_Packages', 'x_non-free-firmware_binary-amd64_Packages');
    host.files.set('/run/udev/control', '');
    host.files.set(UDEV_RULES_FILE, 'x');
    host.files.set('/etc/udev/rules.d/60-boardkit.rules', (await import('../../src/workflows/doctor/fixes.js')).udevRulesText());
    host.files.set('/etc/group', 'root:x:0:\ndialout:x:20:alice\nplugdev:x:46:alice\nalice:x:1000:\n');
    const report = await runDoctor({ probes: host.probes(1000, { USER: 'alice' }), packageList: PACKAGE_LIST });
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.plan).toEqual([]);
    expect(report.byCapability.map((g) => g.capability)).toEqual(expect.arrayContaining(['host', 'firmware', 'emulate', 'payload', 'image', 'console', 'netboot', 'flash']));
  });

  it('a bare host as a plain user: fails grouped by capability and prints the exact commands in order', async () => {
    const host = new FakeHost(['socat', 'qemu-utils', 'dnsmasq-base', 'tftpd-hpa']);
    const report = await runDoctor({ probes: host.probes(1000, { USER: 'alice' }), packageList: PACKAGE_LIST, fix: true });
    expect(report.ok).toBe(false);
    expect(report.applied).toBe(false); // not root: nothing changed
    const status = (id: string) => report.checks.find((c) => c.id === id)?.status;
    expect(status('apt-arm64-architecture')).toBe('fail');
    expect(status('apt-non-free-firmware')).toBe('fail');
    expect(status('package:qemu-utils')).toBe('fail');
    expect(status('package:tftpd-hpa')).toBe('warn'); // bench peer only
    expect(status('serial-dialout')).toBe('warn');
    expect(status('serial-by-id')).toBe('warn'); // no udevd in the fake
    expect(status('udev-usb-rules')).toBe('warn');
    expect(report.byCapability.find((g) => g.capability === 'emulate')?.status).toBe('fail');
    const lines = report.planText.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/^cat > \/etc\/apt\/sources.list.d\/boardkit-non-free-firmware.sources/)).toBeLessThan(at(/^apt-get update$/));
    expect(report.planText).toContain(NFF_SOURCE);
    expect(at(/^dpkg --add-architecture arm64$/)).toBeGreaterThanOrEqual(0);
    expect(at(/^apt-get update$/)).toBeGreaterThan(at(/^dpkg --add-architecture/));
    const install = lines.find((l) => l.includes('apt-get install'))!;
    expect(install).toBe('DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-utils socat dnsmasq-base tftpd-hpa');
    expect(at(/^cat > \/usr\/sbin\/policy-rc.d/)).toBeLessThan(at(/apt-get install/));
    expect(at(/^rm -f \/usr\/sbin\/policy-rc.d$/)).toBeGreaterThan(at(/apt-get install/));
    expect(report.planText).toContain('ATTR{idVendor}=="0a5c", ATTR{idProduct}=="2712"');
    expect(report.planText).toContain('usermod -aG dialout alice');
    expect(host.calls.filter((c) => !c.startsWith('dpkg-query') && !c.startsWith('dpkg --print'))).toEqual([]);
  });

  it('--fix as root applies the plan through the spawner, with service starts denied, and the re-check passes', async () => {
    const host = new FakeHost(['socat', 'tftpd-hpa']);
    host.files.set('/run/udev/control', '');
    const report = await runDoctor({ probes: host.probes(0, { USER: 'root' }), packageList: PACKAGE_LIST, fix: true });
    expect(report.applied).toBe(true);
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.status !== 'ok').map((c) => c.id)).toEqual([]);
    const changes = host.calls.filter((c) => !c.startsWith('dpkg-query') && !c.startsWith('dpkg --print'));
    expect(changes).toEqual([
      'dpkg --add-architecture arm64',
      'apt-get update -q',
      'chmod 755 /usr/sbin/policy-rc.d',
      'apt-get install -y -q --no-install-recommends socat tftpd-hpa',
      'rm -f /usr/sbin/policy-rc.d',
      'udevadm control --reload-rules',
      'udevadm trigger --subsystem-match=usb',
    ]);
    expect(host.policyDuringInstall).toBe(true);
    expect(host.files.has(POLICY_RCD)).toBe(false);
    expect(host.files.get(NON_FREE_FIRMWARE_SOURCE_FILE)).toBe(NFF_SOURCE);
    expect(host.files.get(UDEV_RULES_FILE)).toContain('fe01??');
  });

  it("the new stanza takes the URI and release of the machine's own source: one-line sources.list, codename from os-release", async () => {
    const host = new FakeHost();
    host.files.delete('/etc/apt/sources.list.d/debian.sources');
    host.files.set('/etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nVERSION_CODENAME=trixie\n');
    host.files.set('/etc/apt/sources.list', '# deb http://mirror.invalid/old trixie main\ndeb [arch=amd64] http://mirror.invalid/own trixie main contrib\ndeb http://mirror.invalid/security trixie-security main\n');
    const report = await runDoctor({ probes: host.probes(0, { USER: 'root' }), packageList: PACKAGE_LIST, fix: true });
    expect(host.files.get(NON_FREE_FIRMWARE_SOURCE_FILE)).toBe(nonFreeFirmwareSource('http://mirror.invalid/own', 'trixie'));
    expect(report.checks.find((c) => c.id === 'apt-non-free-firmware')?.status).toBe('ok');
  });

  it('no Debian source to derive the URI from: a failed check that says to add the component yourself, and nothing written', async () => {
    const host = new FakeHost();
    host.archs = ['arm64'];
    host.lists.push('x_binary-arm64_Packages');
    host.files.set('/etc/apt/sources.list.d/debian.sources', `${DEBIAN_SOURCES}Enabled: no\n`);
    host.files.set('/etc/apt/sources.list.d/other.list', 'deb http://mirror.invalid/other nodistro main\n');
    const report = await runDoctor({ probes: host.probes(0, { USER: 'root' }), packageList: PACKAGE_LIST, fix: true });
    const nff = report.checks.find((c) => c.id === 'apt-non-free-firmware');
    expect(nff?.status).toBe('fail');
    expect(nff?.fixes).toBeUndefined();
    expect(nff?.fix).toContain('add the non-free-firmware component to your Debian source yourself');
    expect(nff?.fix).toContain('bookworm');
    expect(report.ok).toBe(false);
    expect(host.files.has(NON_FREE_FIRMWARE_SOURCE_FILE)).toBe(false);
    expect(report.planText).not.toContain('non-free-firmware');
  });
});

describe('doctor pieces', () => {
  it('node version floor is 20.19', () => {
    expect(checkNode('20.18.3').status).toBe('fail');
    expect(checkNode('20.19.0').status).toBe('ok');
    expect(checkNode('22.1.0').status).toBe('ok');
    expect(checkNode('18.20.0').fix).toContain('20.19');
  });

  it('a native addon that does not load warns (the TypeScript path still serves) and says how to build it', () => {
    const facts = (nativeAddons: DoctorFacts['nativeAddons']) => ({ nativeAddons }) as DoctorFacts;
    const [missing] = checkNativeAddons(facts([{ name: 'tftp_pump', purpose: 'TFTP reads on kernel UDP', missing: 'not built (build/native/tftp_pump.node missing)' }]));
    expect(missing).toMatchObject({ capability: 'netboot', id: 'native:tftp_pump', status: 'warn' });
    expect(missing!.message).toContain('not built');
    expect(missing!.fix).toContain('npm run build');
    expect(checkNativeAddons(facts([{ name: 'tftp_pump', purpose: 'TFTP reads on kernel UDP' }]))[0]).toMatchObject({ status: 'ok', message: 'native tftp_pump loaded (TFTP reads on kernel UDP)' });
  });

  it('finds non-free-firmware in one-line and deb822 sources, ignoring comments and disabled stanzas', () => {
    expect(sourcesHaveComponent([{ file: '/etc/apt/sources.list', text: 'deb [arch=amd64] http://mirror.invalid/debian bookworm main non-free-firmware\n' }], 'non-free-firmware')).toBe(true);
    expect(sourcesHaveComponent([{ file: '/etc/apt/sources.list', text: '# deb http://mirror.invalid/debian bookworm main non-free-firmware\n' }], 'non-free-firmware')).toBe(false);
    expect(sourcesHaveComponent([{ file: 'a.sources', text: `${NFF_SOURCE}Enabled: no\n` }], 'non-free-firmware')).toBe(false);
    expect(sourcesHaveComponent([{ file: 'a.sources', text: `${DEBIAN_SOURCES}\n${NFF_SOURCE}` }], 'non-free-firmware')).toBe(true);
    expect(sourcesHaveComponent([{ file: 'a.sources', text: DEBIAN_SOURCES }], 'non-free-firmware')).toBe(false);
  });

  it('the package list is the one CI installs: dnsmasq-base (not dnsmasq), never raspi-firmware; install-deps.sh writes the same apt source', () => {
    const names = SPECS.map((s) => s.package);
    expect(names).toContain('dnsmasq-base');
    expect(names).not.toContain('dnsmasq');
    expect(names).not.toContain('raspi-firmware');
    const script = readFileSync(join(ROOT, '.ci/install-deps.sh'), 'utf8');
    expect(script).toContain('debian-packages.txt');
    for (const line of nonFreeFirmwareSource('$uri', '$codename').trim().split('\n')) {
      expect(script.replace('$keyring', '/usr/share/keyrings/debian-archive-keyring.gpg').replace('$sources_file', NON_FREE_FIRMWARE_SOURCE_FILE)).toContain(line);
    }
    expect(script).toContain(NON_FREE_FIRMWARE_SOURCE_FILE);
  });
});
