import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { parsePackageList } from '../../src/workflows/doctor/packages.js';
import { nodeProbes } from '../../src/workflows/doctor/probes.js';
import { runDoctor } from '../../src/workflows/doctor/doctor.js';

const PACKAGE_LIST = readFileSync(join(import.meta.dirname, '../../.ci/debian-packages.txt'), 'utf8');

/** `command -v` in a shell with sbin on PATH: an oracle for tool presence independent of NodeSpawner.which. */
function shellHas(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin" command -v "$1"`, 'sh', tool], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('doctor on this machine (read-only, no --fix)', () => {
  it('agrees with independent probes: node version, tools on PATH, dpkg foreign architectures, udevd', { timeout: 60_000 }, async () => {
    const report = await runDoctor({ probes: nodeProbes(new NodeSpawner()), packageList: PACKAGE_LIST });
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('node-version')?.message).toContain(process.versions.node);
    for (const spec of parsePackageList(PACKAGE_LIST)) {
      if (!spec.tool) continue;
      expect(byId.get(`package:${spec.package}`)?.status === 'ok', spec.tool).toBe(shellHas(spec.tool));
    }
    if (shellHas('dpkg')) {
      const arm64 = execFileSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).split('\n').includes('arm64');
      expect(byId.get('apt-arm64-architecture')?.status).toBe(arm64 ? 'ok' : 'fail');
    }
    const udevd = existsSync('/run/udev/control');
    expect(byId.get('serial-by-id')?.status).toBe(udevd || existsSync('/dev/serial/by-id') ? 'ok' : 'warn');
    // Every non-ok check says how to fix it; every failing one has a fix.
    for (const c of report.checks) if (c.status === 'fail') expect(c.fix, c.id).toBeTruthy();
    expect(report.ok).toBe(report.checks.every((c) => c.status !== 'fail'));
  });
});
