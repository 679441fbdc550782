import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export const doctorCommand: CommandModule<GlobalArgs, GlobalArgs & { fix?: boolean }> = {
  command: 'doctor',
  describe: 'Check this host for what each capability needs (tools, apt sources, serial and USB permissions); --fix repairs it as root',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('fix', { type: 'boolean', describe: 'Apply the fixes (as root); without root, print the exact commands' })
      .example(
        examples([
          ['$0 doctor', 'What is missing, grouped by capability, with the fix for each'],
          ['sudo $0 doctor --fix', 'Install packages and udev rules, add apt sources (services kept stopped)'],
          ['$0 doctor --json | jq \'.byCapability[] | select(.status != "ok")\'', 'Only the capabilities that need work'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { runDoctor } = await import('../../workflows/doctor/doctor.js');
    const { nodeProbes } = await import('../../workflows/doctor/probes.js');
    const { PACKAGE_LIST_PATH } = await import('../../workflows/doctor/packages.js');
    const { NodeSpawner } = await import('../../transports/node/node-spawner.js');
    const report = await runDoctor({
      probes: nodeProbes(new NodeSpawner(), process.env, async () => {
        const { loadNativeTftpPump } = await import('../../transports/node/native-tftp-pump.js');
        const pump = loadNativeTftpPump();
        return [{ name: 'tftp_pump', purpose: 'TFTP reads on kernel UDP', ...(pump.reason ? { missing: pump.reason } : {}) }];
      }),
      packageList: await readFile(join(ctx.packageRoot, PACKAGE_LIST_PATH), 'utf8').catch(async (err: unknown) => {
        const { BoardkitError } = await import('../../core/errors.js');
        throw new BoardkitError('E_PACKAGE_LIST_MISSING', 'internal', `cannot read ${join(ctx.packageRoot, PACKAGE_LIST_PATH)}`, {
          cause: err,
          hint: 'the package list ships with boardkit (package.json "files" must include .ci/debian-packages.txt); reinstall boardkit',
        });
      }),
      fix: Boolean(argv.fix),
      progress: ctx.json ? undefined : (e) => ctx.output.err(`+ ${e.message ?? ''}`),
    });
    if (ctx.json) ctx.output.result('doctor', report, report.ok);
    else {
      for (const group of report.byCapability) {
        ctx.output.out(`${group.capability} [${group.status}]`);
        for (const c of group.checks) {
          ctx.output.out(`  ${MARK[c.status]}  ${c.message}`);
          if (c.status !== 'ok' && c.fix) ctx.output.out(`        fix: ${c.fix.replace(/\n/g, '\n             ')}`);
        }
      }
      if (report.plan.length > 0) {
        const intro = report.isRoot
          ? argv.fix
            ? 'Still to do after --fix:'
            : 'Run `boardkit doctor --fix` to apply, or these exact commands:'
          : 'Run as root (`sudo boardkit doctor --fix`), or these exact commands as root:';
        ctx.output.out(`\n${intro}\n${report.planText}`);
      } else if (report.applied)
        ctx.output.out(
          report.ok
            ? '\nFixes applied; every check passes or only warns about what a fix cannot change.'
            : '\nFixes applied, but some checks still fail and have no automatic fix: follow the fix lines above.',
        );
    }
    process.exitCode = report.ok ? EXIT.ok : EXIT.environment;
  },
};
