import { debianArchiveUri, sourcesHaveComponent } from './apt-sources.js';
import { BROADCOM_VENDOR, nonFreeFirmwareSource, NON_FREE_FIRMWARE_SOURCE_FILE, RPIBOOT_PRODUCTS, UDEV_RULES_FILE, udevRulesText, type FixAction } from './fixes.js';
import type { PackageSpec } from './packages.js';
import type { DoctorFacts } from './probes.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  readonly capability: string;
  readonly id: string;
  readonly status: CheckStatus;
  readonly message: string;
  /** What to do, in words; the exact commands are in `fixes`. */
  readonly fix?: string;
  readonly fixes?: readonly FixAction[];
}

/** Node >= 20.19: the first 20.x with require(esm) unflagged and the engines range in package.json. */
export const MIN_NODE: readonly [number, number] = [20, 19];

/** Capabilities that only benchmarks need: missing tools there warn instead of failing. */
const OPTIONAL_CAPABILITIES = new Set(['bench']);

export function checkNode(version: string): DoctorCheck {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    capability: 'host',
    id: 'node-version',
    status: ok ? 'ok' : 'fail',
    message: `Node.js ${version}${ok ? '' : ` is older than ${MIN_NODE.join('.')}`}`,
    ...(ok ? {} : { fix: `install Node.js ${MIN_NODE.join('.')} or newer (e.g. from https://nodejs.org or the NodeSource apt repository)` }),
  };
}

export function checkPackages(facts: DoctorFacts, packages: readonly PackageSpec[]): DoctorCheck[] {
  return packages.map((p) => {
    const present = p.tool ? Boolean(facts.tools[p.tool]) : facts.installedPackages.has(p.package);
    const what = p.tool ? `${p.tool} (${p.package})` : `package ${p.package}`;
    const status: CheckStatus = present ? 'ok' : OPTIONAL_CAPABILITIES.has(p.capability) ? 'warn' : 'fail';
    return {
      capability: p.capability,
      id: `package:${p.package}`,
      status,
      message: present ? `${what}${p.tool ? ` at ${facts.tools[p.tool]}` : ' installed'}` : `${what} is missing`,
      ...(present ? {} : { fix: `apt-get install ${p.package}`, fixes: [{ kind: 'apt-install', packages: [p.package] }] }),
    };
  });
}

export function checkAptSources(facts: DoctorFacts): DoctorCheck[] {
  const arm64 = facts.foreignArchitectures.includes('arm64');
  const nff = sourcesHaveComponent(facts.aptSources, 'non-free-firmware');
  const archive = nff ? undefined : debianArchiveUri(facts.aptSources, facts.codename);
  const arm64Lists = facts.aptLists.some((f) => f.includes('binary-arm64_Packages'));
  const nffLists = facts.aptLists.some((f) => f.includes('non-free-firmware_binary-'));
  const checks: DoctorCheck[] = [
    {
      capability: 'firmware',
      id: 'apt-arm64-architecture',
      status: arm64 ? 'ok' : 'fail',
      message: arm64 ? 'arm64 is a dpkg foreign architecture (u-boot-rpi:arm64 can be downloaded)' : 'arm64 is not a dpkg foreign architecture: u-boot-rpi:arm64 cannot be downloaded',
      ...(arm64 ? {} : { fix: 'dpkg --add-architecture arm64 && apt-get update (nothing arm64 is installed; boardkit only downloads)', fixes: [{ kind: 'command', argv: ['dpkg', '--add-architecture', 'arm64'] }] }),
    },
    {
      capability: 'firmware',
      id: 'apt-non-free-firmware',
      status: nff ? 'ok' : 'fail',
      message: nff ? 'an apt source enables the non-free-firmware component (raspi-firmware can be downloaded)' : 'no apt source enables non-free-firmware: raspi-firmware cannot be downloaded',
      ...(nff
        ? {}
        : archive !== undefined
          ? {
              fix: `add ${NON_FREE_FIRMWARE_SOURCE_FILE} (your Debian source's ${archive}, signed by the Debian archive keyring) and apt-get update; raspi-firmware is only downloaded, never installed`,
              fixes: [{ kind: 'write-file', path: NON_FREE_FIRMWARE_SOURCE_FILE, content: nonFreeFirmwareSource(archive, facts.codename) }],
            }
          : // Without a source of the user's own there is no archive we could responsibly pick for them.
            { fix: addComponentYourself(facts.codename) }),
    },
  ];
  if ((arm64 && !arm64Lists) || (nff && !nffLists)) {
    checks.push({
      capability: 'firmware',
      id: 'apt-lists-stale',
      status: 'warn',
      message: `apt has no package lists for ${[arm64 && !arm64Lists ? 'arm64' : '', nff && !nffLists ? 'non-free-firmware' : ''].filter(Boolean).join(' and ')} yet`,
      fix: 'apt-get update',
      fixes: [{ kind: 'apt-update' }],
    });
  }
  return checks;
}

/** Shared wording with .ci/install-deps.sh for a host whose Debian source cannot be found. */
export function addComponentYourself(codename: string): string {
  return `no enabled Debian source for ${codename} with the main component was found in /etc/apt/sources.list or /etc/apt/sources.list.d/, so boardkit cannot derive the archive URI: add the non-free-firmware component to your Debian source yourself (append it to the Components: line of its deb822 stanza, or to the end of its one-line \`deb\` entry), then apt-get update`;
}

export function checkSerial(facts: DoctorFacts): DoctorCheck[] {
  const root = facts.uid === 0 && facts.user === 'root';
  const inDialout = root || facts.userGroups.includes('dialout');
  const checks: DoctorCheck[] = [
    {
      capability: 'console',
      id: 'serial-dialout',
      status: inDialout ? 'ok' : 'warn',
      message: root ? 'running as root: serial ports are accessible' : inDialout ? `${facts.user} is in the dialout group` : `${facts.user} is not in the dialout group: /dev/ttyUSB* and /dev/ttyACM* will be refused`,
      ...(inDialout ? {} : { fix: `usermod -aG dialout ${facts.user} (then log in again)`, fixes: [{ kind: 'command', argv: ['usermod', '-aG', 'dialout', facts.user] }] }),
    },
  ];
  if (facts.serialByIdExists) checks.push({ capability: 'console', id: 'serial-by-id', status: 'ok', message: 'udev populates /dev/serial/by-id (stable names for USB serial adapters)' });
  else if (facts.udevdRunning) checks.push({ capability: 'console', id: 'serial-by-id', status: 'ok', message: 'udevd runs; /dev/serial/by-id appears when a USB serial adapter is plugged in' });
  else
    checks.push({
      capability: 'console',
      id: 'serial-by-id',
      status: 'warn',
      message: 'udevd is not running (no /run/udev/control): /dev/serial/by-id will not exist and port listing cannot name adapters',
      fix: 'run boardkit on a host with systemd-udevd (in a container, pass the device path explicitly, e.g. --port /dev/ttyUSB0)',
    });
  return checks;
}

export function checkUdevRules(facts: DoctorFacts): DoctorCheck[] {
  const lines = facts.udevRules.flatMap((r) => r.text.split('\n').filter((l) => !l.trim().startsWith('#')));
  const missing = RPIBOOT_PRODUCTS.filter((p) => !lines.some((l) => l.includes(`"${BROADCOM_VENDOR}"`) && l.includes(`"${p}"`)));
  const dfu = lines.some((l) => /fe01/i.test(l) || /dfu/i.test(l));
  const root = facts.uid === 0 && facts.user === 'root';
  const ok = missing.length === 0 && dfu;
  const fixes: FixAction[] = ok
    ? []
    : [
        {
          kind: 'write-file',
          path: UDEV_RULES_FILE,
          content: udevRulesText(),
          // Without a running udevd (containers) the rules are read when it starts; reloading would fail.
          ...(facts.udevdRunning ? { then: [['udevadm', 'control', '--reload-rules'], ['udevadm', 'trigger', '--subsystem-match=usb']] } : {}),
        },
      ];
  const needs = [missing.length > 0 ? `rpiboot (0a5c:${missing.join('/')})` : '', dfu ? '' : 'DFU (interface class fe/01)'].filter(Boolean).join(' and ');
  const checks: DoctorCheck[] = [
    {
      capability: 'flash',
      id: 'udev-usb-rules',
      status: ok ? 'ok' : root ? 'ok' : 'warn',
      message: ok ? 'udev rules grant USB access for rpiboot and DFU devices' : `no udev rules for ${needs}${root ? ' (not needed as root)' : ': USB boot/DFU flashing needs root'}`,
      ...(ok ? {} : { fix: `install ${UDEV_RULES_FILE}:\n${udevRulesText()}`, fixes }),
    },
  ];
  if (!root && !facts.userGroups.includes('plugdev') && facts.groupsThatExist.includes('plugdev')) {
    checks.push({
      capability: 'flash',
      id: 'usb-plugdev',
      status: 'warn',
      message: `${facts.user} is not in plugdev (the group the USB rules grant)`,
      fix: `usermod -aG plugdev ${facts.user}`,
      fixes: [{ kind: 'command', argv: ['usermod', '-aG', 'plugdev', facts.user] }],
    });
  }
  return checks;
}

export function checkHostTools(facts: DoctorFacts): DoctorCheck[] {
  return ['apt-get', 'dpkg-deb'].map((t) => ({
    capability: 'firmware',
    id: `tool:${t}`,
    status: facts.tools[t] ? 'ok' : 'fail',
    message: facts.tools[t] ? `${t} at ${facts.tools[t]}` : `${t} is missing: Debian artefacts cannot be fetched (only imported)`,
    ...(facts.tools[t] ? {} : { fix: 'run on Debian/Ubuntu, or import every artefact with `boardkit firmware import`' }),
  }));
}

/** A missing addon only costs speed (the TypeScript path serves), so it warns. */
export function checkNativeAddons(facts: DoctorFacts): DoctorCheck[] {
  return facts.nativeAddons.map((a) => ({
    capability: 'netboot',
    id: `native:${a.name}`,
    status: a.missing ? 'warn' : 'ok',
    message: a.missing ? `native ${a.name} unavailable: ${a.missing}; ${a.purpose} use the TypeScript engine, several times slower` : `native ${a.name} loaded (${a.purpose})`,
    ...(a.missing ? { fix: 'install a C compiler (apt-get install gcc) and the Node.js headers, then `npm run build` in the boardkit package' } : {}),
  }));
}

/** Every check, pure over the gathered facts. */
export function evaluateDoctor(facts: DoctorFacts, packages: readonly PackageSpec[]): DoctorCheck[] {
  return [checkNode(facts.nodeVersion), ...checkHostTools(facts), ...checkAptSources(facts), ...checkPackages(facts, packages), ...checkSerial(facts), ...checkUdevRules(facts), ...checkNativeAddons(facts)];
}
