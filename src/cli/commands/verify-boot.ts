import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';

interface VerifyArgs extends GlobalArgs {
  board: string;
  port: string;
  baud?: number;
  timeout?: number;
  stages?: string[];
  multiplier?: number;
  log?: string;
}

export const verifyBootCommand: CommandModule<GlobalArgs, VerifyArgs> = {
  command: 'verify-boot',
  describe: "Verify a board's boot on any serial console (a real board, a pty, a TCP console) against its profile's markers",
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', demandOption: true, describe: 'Board id' })
      .option('port', { alias: 'p', type: 'string', demandOption: true, describe: 'Serial device (/dev/serial/by-id/...), serial:NUMBER or tcp:HOST:PORT' })
      .option('baud', { type: 'number', describe: "UART speed (default: the profile's console baud)" })
      .option('timeout', { type: 'number', describe: 'Cap for the whole verification, in seconds' })
      .option('stages', { type: 'string', array: true, describe: 'Stages to expect, in order (default: the boot chain stages with markers)' })
      .option('multiplier', { type: 'number', describe: 'Multiply the profile timeouts (slow boards, emulators)' })
      .option('log', { type: 'string', describe: 'Write the timestamped console log to this file' })
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
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      const report = await verifyBootOnPort(
        registry,
        {
          board: argv.board,
          port: argv.port,
          ...(argv.baud ? { baud: argv.baud } : {}),
          ...(argv.timeout ? { timeoutMs: argv.timeout * 1000 } : {}),
          ...(argv.stages ? { stages: argv.stages } : {}),
          ...(argv.multiplier ? { timeoutMultiplier: argv.multiplier } : {}),
          ...(argv.log ? { logFile: argv.log } : {}),
        },
        openNodeSerialLink,
        { signal: abort.signal, progress: (e) => e.message && ctx.output.err(`  ${e.message}`) },
      );
      if (ctx.json) ctx.output.result('verify-boot', report, report.ok);
      else ctx.output.out(`${report.board} on ${report.port}\n${renderBootResult(report.boot, report.ok)}`);
      process.exitCode = report.ok ? EXIT.ok : EXIT.checkFailed;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
