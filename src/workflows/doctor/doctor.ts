import { ToolFailedError } from '../../core/errors.js';
import { noProgress, type ProgressSink } from '../../core/progress.js';
import { evaluateDoctor, type CheckStatus, type DoctorCheck } from './checks.js';
import { aptInstallArgv, planFixes, renderFixes, type FixAction } from './fixes.js';
import { parsePackageList, type PackageSpec } from './packages.js';
import { gatherFacts, type DoctorProbes } from './probes.js';

export interface DoctorOptions {
  readonly probes: DoctorProbes;
  /** Contents of .ci/debian-packages.txt (the one package list, shared with CI). */
  readonly packageList: string;
  /** Apply the fixes (only as root; otherwise the plan is returned for printing). */
  readonly fix?: boolean;
  readonly progress?: ProgressSink;
}

export interface DoctorReport {
  readonly checks: DoctorCheck[];
  /** Checks grouped by capability, in first-seen order. */
  readonly byCapability: Array<{ capability: string; status: CheckStatus; checks: DoctorCheck[] }>;
  /** Every fix, merged and ordered (one apt-get update, one apt-get install). */
  readonly plan: FixAction[];
  /** The plan as exact shell commands. */
  readonly planText: string;
  /** Set when fixes were applied: the checks as they stand afterwards. */
  readonly applied: boolean;
  readonly ok: boolean;
  readonly isRoot: boolean;
}

const worst = (a: CheckStatus, b: CheckStatus): CheckStatus => (a === 'fail' || b === 'fail' ? 'fail' : a === 'warn' || b === 'warn' ? 'warn' : 'ok');

async function inspect(probes: DoctorProbes, packages: readonly PackageSpec[]) {
  const facts = await gatherFacts(probes, packages);
  const checks = evaluateDoctor(facts, packages);
  const plan = planFixes(checks.flatMap((c) => c.fixes ?? []), facts.policyRcdExists);
  return { facts, checks, plan };
}

/**
 * Checks the host for what each capability needs. With `fix` and root: applies the plan through
 * the Spawner (apt-get with a policy-rc.d that keeps peer daemons such as tftpd-hpa stopped),
 * then checks again. Never throws for a failed check; throws ToolFailedError if a fix fails.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const progress = options.progress ?? noProgress;
  const packages = parsePackageList(options.packageList);
  const { probes } = options;
  let { checks, plan } = await inspect(probes, packages);
  const isRoot = probes.uid === 0;
  let applied = false;
  if (options.fix && isRoot && plan.length > 0) {
    for (const action of plan) {
      progress({ source: 'doctor.fix', type: 'step', message: renderFixes([action]).split('\n')[0] ?? action.kind });
      await apply(probes, action);
    }
    applied = true;
    ({ checks, plan } = await inspect(probes, packages));
  }
  const byCapability: DoctorReport['byCapability'] = [];
  for (const c of checks) {
    let group = byCapability.find((g) => g.capability === c.capability);
    if (!group) byCapability.push((group = { capability: c.capability, status: 'ok', checks: [] }));
    group.checks.push(c);
    group.status = worst(group.status, c.status);
  }
  return { checks, byCapability, plan, planText: renderFixes(plan), applied, ok: checks.every((c) => c.status !== 'fail'), isRoot };
}

async function apply(probes: DoctorProbes, action: FixAction): Promise<void> {
  const run = async (argv: readonly string[], env?: Record<string, string>) => {
    const [tool, ...args] = argv;
    const r = await probes.spawner.run(tool!, args, { timeoutMs: 900_000, ...(env ? { env } : {}) });
    if (r.exitCode !== 0) throw new ToolFailedError(tool!, r.exitCode, r.stderr.toString(), { hint: `boardkit doctor --fix stopped at: ${argv.join(' ')}` });
  };
  switch (action.kind) {
    case 'apt-update':
      return run(['apt-get', 'update', '-q']);
    case 'apt-install':
      return run(aptInstallArgv(action.packages), { DEBIAN_FRONTEND: 'noninteractive' });
    case 'command':
      return run(action.argv);
    case 'write-file':
      await probes.writeFile(action.path, action.content, action.path.endsWith('policy-rc.d') ? 0o755 : 0o644);
      for (const argv of action.then ?? []) await run(argv);
  }
}
