import { access, chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Spawner } from '../../transports/spawner.js';
import { osReleaseCodename } from './apt-sources.js';
import type { PackageSpec } from './packages.js';

/** Everything doctor looks at, gathered once into plain data so the checks are pure functions. */
export interface DoctorFacts {
  readonly nodeVersion: string;
  readonly uid: number;
  /** The user to check group membership for: $SUDO_USER when run through sudo, else the current one. */
  readonly user: string;
  readonly userGroups: readonly string[];
  readonly groupsThatExist: readonly string[];
  readonly tools: Readonly<Record<string, string | undefined>>;
  readonly installedPackages: ReadonlySet<string>;
  readonly foreignArchitectures: readonly string[];
  /** VERSION_CODENAME of /etc/os-release (DEFAULT_CODENAME when absent, as .ci/install-deps.sh does). */
  readonly codename: string;
  /** /etc/apt/sources.list, then sources.list.d/*.list and *.sources by name: apt's reading order. */
  readonly aptSources: ReadonlyArray<{ file: string; text: string }>;
  /** File names in /var/lib/apt/lists (to tell whether apt-get update ran after a source change). */
  readonly aptLists: readonly string[];
  readonly serialByIdExists: boolean;
  readonly udevdRunning: boolean;
  readonly udevRules: ReadonlyArray<{ file: string; text: string }>;
  readonly policyRcdExists: boolean;
  /** The native addons (build/native/) and, for each one that does not load, why. */
  readonly nativeAddons: ReadonlyArray<{ name: string; purpose: string; missing?: string }>;
}

/** The I/O doctor needs, injectable so unit tests fake it. */
export interface DoctorProbes {
  readFile(path: string): Promise<string | undefined>;
  listDir(path: string): Promise<string[] | undefined>;
  exists(path: string): Promise<boolean>;
  /** Only `doctor --fix` as root writes (apt source, udev rules, policy-rc.d). */
  writeFile(path: string, content: string, mode?: number): Promise<void>;
  readonly spawner: Spawner;
  readonly env: Record<string, string | undefined>;
  readonly nodeVersion: string;
  readonly uid: number;
  /** Loads each native addon (the CLI supplies it: loading is a transport's business). */
  nativeAddons?(): Promise<DoctorFacts['nativeAddons']>;
}

export function nodeProbes(spawner: Spawner, env: Record<string, string | undefined> = process.env, nativeAddons?: DoctorProbes['nativeAddons']): DoctorProbes {
  return {
    nativeAddons,
    readFile: (p) => readFile(p, 'utf8').catch(() => undefined),
    listDir: (p) => readdir(p).catch(() => undefined),
    exists: (p) => access(p).then(() => true, () => false),
    async writeFile(p, content, mode) {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
      if (mode !== undefined) await chmod(p, mode);
    },
    spawner,
    env,
    nodeVersion: process.versions.node,
    uid: process.getuid?.() ?? -1,
  };
}

export const APT_SOURCE_DIRS = ['/etc/apt/sources.list.d'];
export const DEFAULT_CODENAME = 'bookworm';
export const UDEV_RULE_DIRS = ['/etc/udev/rules.d', '/usr/lib/udev/rules.d', '/lib/udev/rules.d'];

async function readMany(probes: DoctorProbes, dirs: string[], pattern: RegExp, extra: string[] = []) {
  const files = [...extra];
  for (const dir of dirs) for (const f of ((await probes.listDir(dir)) ?? []).sort()) if (pattern.test(f)) files.push(join(dir, f));
  const out: Array<{ file: string; text: string }> = [];
  for (const file of files) {
    const text = await probes.readFile(file);
    if (text !== undefined) out.push({ file, text });
  }
  return out;
}

async function runText(probes: DoctorProbes, tool: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await probes.spawner.run(tool, args, { timeoutMs: 20_000 });
    return r.exitCode === 0 ? r.stdout.toString() : r.stdout.toString() || undefined;
  } catch {
    return undefined;
  }
}

export async function gatherFacts(probes: DoctorProbes, packages: readonly PackageSpec[]): Promise<DoctorFacts> {
  const toolNames = [...new Set([...packages.map((p) => p.tool).filter((t): t is string => Boolean(t)), 'apt-get', 'dpkg-deb', 'dpkg'])];
  const tools: Record<string, string | undefined> = {};
  for (const t of toolNames) tools[t] = await probes.spawner.which(t);
  const user = probes.env.SUDO_USER || probes.env.USER || (await runText(probes, 'id', ['-un']))?.trim() || 'root';
  const groupFile = (await probes.readFile('/etc/group')) ?? '';
  const groups = groupFile
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4);
  const userGroups = groups.filter((f) => (f[3] ?? '').split(',').includes(user)).map((f) => f[0]!);
  // The primary group is in /etc/passwd, not in the member list of /etc/group.
  const passwd = ((await probes.readFile('/etc/passwd')) ?? '').split('\n').map((l) => l.split(':'));
  const gid = passwd.find((f) => f[0] === user)?.[3];
  const primary = groups.find((f) => f[2] === gid)?.[0];
  if (primary && !userGroups.includes(primary)) userGroups.push(primary);
  const dpkg = (await runText(probes, 'dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\\n', ...packages.map((p) => p.package)])) ?? '';
  const installed = new Set(
    dpkg
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.startsWith('ii'))
      .map((f) => f[0]!.replace(/:.*/, '')),
  );
  return {
    nodeVersion: probes.nodeVersion,
    nativeAddons: (await probes.nativeAddons?.()) ?? [],
    uid: probes.uid,
    user,
    userGroups,
    groupsThatExist: groups.map((f) => f[0]!),
    tools,
    installedPackages: installed,
    codename: osReleaseCodename((await probes.readFile('/etc/os-release')) ?? '') ?? DEFAULT_CODENAME,
    foreignArchitectures: ((await runText(probes, 'dpkg', ['--print-foreign-architectures'])) ?? '').split('\n').map((s) => s.trim()).filter(Boolean),
    aptSources: await readMany(probes, APT_SOURCE_DIRS, /\.(list|sources)$/, ['/etc/apt/sources.list']),
    aptLists: (await probes.listDir('/var/lib/apt/lists')) ?? [],
    serialByIdExists: await probes.exists('/dev/serial/by-id'),
    udevdRunning: await probes.exists('/run/udev/control'),
    udevRules: await readMany(probes, UDEV_RULE_DIRS, /\.rules$/),
    policyRcdExists: await probes.exists('/usr/sbin/policy-rc.d'),
  };
}
