import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';

interface DemoArgs extends GlobalArgs {
  board: string;
  output: string;
}

export const demoCommand: CommandModule<GlobalArgs, DemoArgs> = {
  command: 'demo',
  describe: 'End to end on an emulated board: firmware boot, payload build, payload boot with host oracles, netboot',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', default: 'qemu-riscv64-virt', describe: 'Emulated board' })
      .option('output', { alias: 'o', type: 'string', default: 'out', describe: 'Where the payload is built' })
      .example(
        examples([
          ['$0 demo', 'The embedded default: qemu-riscv64-virt'],
          ['$0 demo -b qemu-aarch64-virt --json', 'Another board; JSON step reports'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const [{ runDemo }, { loadBoardRegistry }, { knownArtifactIds }, { NodeSpawner }, { connectQmpSocket }, { openNodeSerialLink }, { openQemuDgramFrameLink }, { withTask }] = await Promise.all([
      import('../../workflows/demo.js'),
      import('../../workflows/boards.js'),
      import('../../workflows/firmware-ids.js'),
      import('../../transports/node/node-spawner.js'),
      import('../../transports/node/qmp-socket.js'),
      import('../../transports/node/open-serial-link.js'),
      import('../../transports/node/qemu-dgram-frame-link.js'),
      import('../render/tasks.js'),
    ]);
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const env = { spawner: new NodeSpawner(), connectQmp: connectQmpSocket, openLink: openNodeSerialLink, openQemuFrameLink: () => openQemuDgramFrameLink(), cacheDir: ctx.cacheDir, manifestDir: ctx.manifestDir };
    const report = await withTask(ctx, `demo ${argv.board}`, (progress) => runDemo(registry, { board: argv.board, outDir: argv.output }, env, { progress }), { lines: (e) => e.source === 'demo' });
    if (ctx.json) ctx.output.result('demo', report, report.ok);
    else {
      const lines = [`boardkit demo on ${report.board}`];
      for (const s of report.steps) lines.push(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(58)} ${String(s.ms).padStart(6)} ms  ${s.summary}`);
      lines.push(report.ok ? 'PASS' : 'FAIL');
      ctx.output.out(lines.join('\n'));
    }
    process.exitCode = report.ok ? EXIT.ok : EXIT.checkFailed;
  },
};
