import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { commandSignal } from '../interrupt.js';

interface DemoArgs extends GlobalArgs {
  board: string;
  output: string;
  out?: string;
}

export const demoCommand: CommandModule<GlobalArgs, DemoArgs> = {
  command: 'demo',
  describe: 'End to end on an emulated board: firmware boot, payload build, payload boot with host oracles, netboot',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', default: 'qemu-riscv64-virt', describe: 'Emulated board' })
      .option('output', { alias: 'o', type: 'string', default: 'out', describe: 'Where the payload is built' })
      .option('out', { type: 'string', describe: 'Run directory for console logs, screendumps and verdict.json (default: a new one under the cache, runs/)' })
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
    const [{ createRunDir, writeVerdict }, { requireEmulation }] = await Promise.all([import('../../workflows/run-dir.js'), import('../../boards/plan.js')]);
    const profile = registry.get(argv.board).profile;
    requireEmulation(profile); // before anything is created
    const runDir = await createRunDir({ ...(argv.out !== undefined ? { out: argv.out } : {}), base: join(ctx.cacheDir, 'runs'), name: `demo-${argv.board}` });
    ctx.output.err(`run directory: ${runDir}`);
    const report = await withTask(ctx, `demo ${argv.board}`, (progress) => runDemo(profile, { board: argv.board, outDir: argv.output, runDir }, env, { progress, signal: commandSignal() }), { lines: (e) => e.source === 'demo' });
    const verdict = await writeVerdict(runDir, report);
    if (ctx.json) ctx.output.result('demo', { ...report, runDir, verdict }, report.ok);
    else {
      const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip', interrupted: 'INT ' } as const;
      const lines = [`boardkit demo on ${report.board}`];
      for (const s of report.steps) lines.push(`  ${mark[s.status]} ${s.name.padEnd(58)} ${s.status === 'skipped' ? '' : `${String(s.ms).padStart(6)} ms  `}${s.summary}`);
      const counts = (['passed', 'failed', 'skipped'] as const).map((k) => `${report.steps.filter((s) => s.status === k).length} ${k}`).join(', ');
      lines.push(`${report.interrupted ? 'INTERRUPTED' : report.ok ? 'PASS' : 'FAIL'} (${counts})`, `run directory: ${runDir}`);
      ctx.output.out(lines.join('\n'));
    }
    process.exitCode = report.ok ? EXIT.ok : EXIT.checkFailed;
  },
};
