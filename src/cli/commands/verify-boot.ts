import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { commandSignal } from '../interrupt.js';
import { verdictOptions, withVerdictOptions, type VerdictArgs } from '../verdict-options.js';

interface VerifyArgs extends GlobalArgs, VerdictArgs {
  board: string;
  port: string;
  baud?: number;
  timeout?: number;
  stages?: string[];
  multiplier?: number;
  log?: string;
  out?: string;
  until?: string;
  settle?: number;
  expect?: string[];
  fail?: string[];
  'expect-set'?: string;
  'power-on-timeout'?: number;
}

export const verifyBootCommand: CommandModule<GlobalArgs, VerifyArgs> = {
  command: 'verify-boot',
  describe: "Verify a board's boot on any serial console (a real board, a pty, a TCP console) against its profile's markers",
  builder: (y) =>
    withVerdictOptions(y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', demandOption: true, describe: 'Board id' })
      .option('port', { alias: 'p', type: 'string', demandOption: true, describe: 'Serial device (/dev/serial/by-id/...), serial:NUMBER or tcp:HOST:PORT' })
      .option('baud', { type: 'number', describe: "UART speed (default: the profile's console baud)" })
      .option('timeout', { type: 'number', describe: 'Cap for the whole verification, in seconds' })
      .option('stages', { type: 'string', array: true, describe: 'Stages to expect, in order (default: the boot chain stages with markers)' })
      .option('multiplier', { type: 'number', describe: 'Multiply the profile timeouts (slow boards, emulators)' })
      .option('log', { type: 'string', describe: 'Also write the timestamped console log to this file' })
      .option('out', { alias: 'o', type: 'string', describe: 'Run directory for console.log and verdict.json (default: a new one under the cache, runs/)' })
      .option('power-on-timeout', { type: 'number', default: 60, describe: 'Seconds to wait for the first byte (power the board on); the first stage timer starts at that byte' })
      .example(
        examples([
          ['$0 verify-boot -b rpi4b \\\n    -p /dev/serial/by-id/usb-FTDI_FT232R-if00-port0', 'Start, then power the Pi on'],
          ['$0 verify-boot -b qemu-riscv64-virt -p /dev/pts/5 \\\n    --stages opensbi u-boot --json', 'Check a console you started yourself'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const [{ verifyBootOnPort }, { loadBoardRegistry }, { knownArtifactIds }, { openNodeSerialLink }, { renderBootResult }] = await Promise.all([
      import('../../workflows/verify-boot.js'),
      import('../../workflows/boards.js'),
      import('../../workflows/firmware-ids.js'),
      import('../../transports/node/open-serial-link.js'),
      import('../render/run.js'),
    ]);
    const [{ createRunDir, writeVerdict }, { checkOutputFile }, { UsageError }, { join }] = await Promise.all([
      import('../../workflows/run-dir.js'),
      import('../../workflows/output-paths.js'),
      import('../../core/errors.js'),
      import('node:path'),
    ]);
    if (argv['power-on-timeout'] !== undefined && !(argv['power-on-timeout'] > 0)) throw new UsageError('--power-on-timeout takes a positive number of seconds');
    const verdict = verdictOptions(argv);
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const profile = registry.get(argv.board).profile;
    if (argv.log !== undefined) await checkOutputFile(argv.log, '--log');
    const runDir = await createRunDir({ ...(argv.out !== undefined ? { out: argv.out } : {}), base: join(ctx.cacheDir, 'runs'), name: `verify-boot-${profile.id}` });
    ctx.output.err(`run directory: ${runDir}`);
    const report = await verifyBootOnPort(
      profile,
      {
        board: argv.board,
        port: argv.port,
        runDir,
        powerOnTimeoutMs: (argv['power-on-timeout'] ?? 60) * 1000,
        ...(argv.baud ? { baud: argv.baud } : {}),
        ...(argv.timeout ? { timeoutMs: argv.timeout * 1000 } : {}),
        ...(argv.stages ? { stages: argv.stages } : {}),
        ...(argv.multiplier ? { timeoutMultiplier: argv.multiplier } : {}),
        ...(argv.log ? { logFile: argv.log } : {}),
        ...verdict,
      },
      openNodeSerialLink,
      { signal: commandSignal(), progress: (e) => e.message && ctx.output.err(`  ${e.message}`) },
    );
    const verdictFile = await writeVerdict(runDir, report);
    if (ctx.json) ctx.output.result('verify-boot', { ...report, runDir, verdict: verdictFile }, report.ok);
    else ctx.output.out(`${report.board} on ${report.port}\n${renderBootResult(report.boot, report.ok, report.boot.durationMs, { checks: report.checks, verbose: ctx.verbose })}\nrun directory: ${runDir}`);
    process.exitCode = report.ok ? EXIT.ok : EXIT.checkFailed;
  },
};
