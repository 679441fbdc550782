import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';

interface RunArgs extends GlobalArgs {
  board: string;
  kernel?: string;
  image?: string;
  'firmware-only'?: boolean;
  timeout?: number;
  gdb?: number;
  log?: string;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run',
  describe: 'Boot an emulated board (QEMU, from its profile) and verify the boot on its serial console',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', demandOption: true, describe: 'Board id (emulated boards: `boardkit boards list`, QEMU column)' })
      .option('kernel', { alias: 'k', type: 'string', describe: 'Payload/kernel to boot (ELF or flat binary)' })
      .option('image', { type: 'string', describe: 'Disk image to attach as the board\'s boot medium' })
      .option('firmware-only', { type: 'boolean', describe: 'Boot the firmware chain alone (e.g. OpenSBI + U-Boot) and verify its banners' })
      .option('timeout', { type: 'number', describe: 'Cap for the whole run, in seconds (stage timeouts come from the profile)' })
      .option('gdb', { type: 'number', describe: 'Open a gdb stub on 127.0.0.1:PORT, paused at the first instruction' })
      .option('log', { type: 'string', describe: 'Write the timestamped console log to this file' })
      .conflicts('firmware-only', ['kernel', 'image'])
      .check((a) => {
        if (!a['firmware-only'] && !a.kernel && !a.image) throw new Error('say what to boot: --firmware-only, --kernel FILE or --image FILE');
        return true;
      })
      .example('$0 run --board qemu-riscv64-virt --firmware-only', 'OpenSBI and U-Boot from Debian, verified on the console')
      .example('$0 run -b qemu-aarch64-virt -k out/payload.elf --json', 'Boot a payload; JSON timeline and verdict')
      .epilogue('Exit codes: 0 boot verified, 1 boot failed (stage and last console lines shown), 2 usage, 3 host setup (missing tool/firmware), 4 infrastructure (QEMU or console failed).'),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const [{ runBoard }, { loadBoardRegistry }, { knownArtifactIds }, { NodeSpawner }, { connectQmpSocket }, { openNodeSerialLink }, render] = await Promise.all([
      import('../../workflows/run-board.js'),
      import('../../workflows/boards.js'),
      import('../../workflows/firmware-ids.js'),
      import('../../transports/node/node-spawner.js'),
      import('../../transports/node/qmp-socket.js'),
      import('../../transports/node/open-serial-link.js'),
      import('../render/run.js'),
    ]);
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const mode = argv['firmware-only'] ? 'firmware-only' : argv.image ? 'image' : 'kernel';
    if (argv.timeout !== undefined && !(argv.timeout > 0)) throw new UsageError('--timeout takes a positive number of seconds');
    const abort = new AbortController();
    const onSigint = () => abort.abort(new UsageError('interrupted'));
    process.once('SIGINT', onSigint);
    try {
      const { withTask } = await import('../render/tasks.js');
      const report = await withTask(ctx, `run ${argv.board} (${mode})`, (progress) => runBoard(
        registry,
        {
          board: argv.board,
          mode,
          ...(argv.kernel ? { kernel: argv.kernel } : {}),
          ...(argv.image ? { image: argv.image } : {}),
          ...(argv.timeout ? { timeoutMs: argv.timeout * 1000 } : {}),
          ...(argv.gdb !== undefined ? { gdbPort: argv.gdb } : {}),
          ...(argv.log ? { logFile: argv.log } : {}),
        },
        { spawner: new NodeSpawner(), connectQmp: connectQmpSocket, openLink: openNodeSerialLink, cacheDir: ctx.cacheDir, manifestDir: ctx.manifestDir },
        { signal: abort.signal, progress },
      ), { lines: (e) => e.type !== 'stage' });
      if (ctx.json) ctx.output.json(report);
      else ctx.output.out(render.renderRunReport(report));
      process.exitCode = report.ok ? EXIT.ok : EXIT.checkFailed;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
