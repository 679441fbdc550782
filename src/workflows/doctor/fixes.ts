/**
 * What `doctor --fix` changes, as data: printed as exact shell commands for a non-root user,
 * applied (through the Spawner and plain file writes) when run as root.
 */
export type FixAction =
  | { readonly kind: 'apt-install'; readonly packages: readonly string[] }
  | { readonly kind: 'apt-update' }
  | { readonly kind: 'command'; readonly argv: readonly string[] }
  | { readonly kind: 'write-file'; readonly path: string; readonly content: string; readonly then?: ReadonlyArray<readonly string[]> };

export const NON_FREE_FIRMWARE_SOURCE_FILE = '/etc/apt/sources.list.d/boardkit-non-free-firmware.sources';
export const DEBIAN_ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
export const UDEV_RULES_FILE = '/etc/udev/rules.d/60-boardkit.rules';
export const POLICY_RCD = '/usr/sbin/policy-rc.d';

/**
 * Same stanza as .ci/install-deps.sh writes (a test keeps the two equal). `uri` is the archive of
 * the machine's own Debian source (debianArchiveUri), never a host of ours: the mirror the user
 * chose also serves non-free-firmware.
 */
export function nonFreeFirmwareSource(uri: string, codename: string): string {
  return `Types: deb\nURIs: ${uri}\nSuites: ${codename}\nComponents: non-free-firmware\nSigned-By: ${DEBIAN_ARCHIVE_KEYRING}\n`;
}

/** Broadcom boot ROM USB ids in device mode (rpiboot's main.c table): 2763/2764 BCM2835-7, 2711 BCM2711, 2712 BCM2712. */
export const RPIBOOT_PRODUCTS = ['2763', '2764', '2711', '2712'] as const;
export const BROADCOM_VENDOR = '0a5c';

export function udevRulesText(): string {
  const lines = [
    '# Installed by `boardkit doctor --fix`: USB access without root for the plugdev group and the seat user.',
    '# Raspberry Pi boot ROM in USB device mode (rpiboot): Broadcom vendor 0a5c.',
    ...RPIBOOT_PRODUCTS.map(
      (p) => `SUBSYSTEM=="usb", ATTR{idVendor}=="${BROADCOM_VENDOR}", ATTR{idProduct}=="${p}", MODE="0660", GROUP="plugdev", TAG+="uaccess"`,
    ),
    '# Any device with a DFU interface: class 0xFE, subclass 0x01 (USB DFU 1.1, section 4.2.1 / 4.2.3).',
    'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ENV{ID_USB_INTERFACES}=="*:fe01??:*", MODE="0660", GROUP="plugdev", TAG+="uaccess"',
  ];
  return `${lines.join('\n')}\n`;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Orders and merges fixes: sources and architectures first, one apt-get update, one apt-get
 * install (with a policy-rc.d that forbids service starts, so tftpd-hpa & co. stay stopped),
 * then the rest in order.
 */
export function planFixes(actions: readonly FixAction[], policyRcdExists: boolean): FixAction[] {
  const early = actions.filter((a) => (a.kind === 'write-file' && a.path.startsWith('/etc/apt/')) || (a.kind === 'command' && a.argv[0] === 'dpkg'));
  const packages = [...new Set(actions.flatMap((a) => (a.kind === 'apt-install' ? a.packages : [])))];
  const needsUpdate = early.length > 0 || packages.length > 0 || actions.some((a) => a.kind === 'apt-update');
  const rest = actions.filter((a) => !early.includes(a) && a.kind !== 'apt-install' && a.kind !== 'apt-update');
  const plan: FixAction[] = [...early];
  if (needsUpdate) plan.push({ kind: 'apt-update' });
  if (packages.length > 0) {
    if (!policyRcdExists) plan.push({ kind: 'write-file', path: POLICY_RCD, content: '#!/bin/sh\n# boardkit: deny service starts during the install (exit 101 = action forbidden)\nexit 101\n', then: [['chmod', '755', POLICY_RCD]] });
    plan.push({ kind: 'apt-install', packages });
    if (!policyRcdExists) plan.push({ kind: 'command', argv: ['rm', '-f', POLICY_RCD] });
  }
  plan.push(...rest);
  return plan;
}

export function aptInstallArgv(packages: readonly string[]): string[] {
  return ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages];
}

/** The exact shell text of a plan (for `doctor` without root, and for logs). */
export function renderFixes(plan: readonly FixAction[]): string {
  return plan
    .map((a) => {
      switch (a.kind) {
        case 'apt-update':
          return 'apt-get update';
        case 'apt-install':
          return `DEBIAN_FRONTEND=noninteractive ${aptInstallArgv(a.packages).map(shellQuote).join(' ')}`;
        case 'command':
          return a.argv.map(shellQuote).join(' ');
        case 'write-file':
          return [`cat > ${shellQuote(a.path)} <<'EOF'\n${a.content}EOF`, ...(a.then ?? []).map((c) => c.map(shellQuote).join(' '))].join('\n');
      }
    })
    .join('\n');
}
