import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';

interface BuildArgs extends GlobalArgs {
  board: string;
  drivers?: string[];
  output?: string;
  'test-only-fake-ok'?: boolean;
}

const build: CommandModule<GlobalArgs, BuildArgs> = {
  command: 'build',
  describe: "Build the reference payload (boot/) for a board's driver set with the Debian cross toolchain",
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', demandOption: true, describe: 'Board id' })
      .option('drivers', { alias: 'd', type: 'string', array: true, describe: 'Driver set: driver kinds, comma-separated (default: all the board supports; `boards show B` lists them)' })
      .option('output', { alias: 'o', type: 'string', describe: 'Output directory (default out/payload-<board>)' })
      .option('test-only-fake-ok', { type: 'boolean', hidden: true, describe: 'TEST ONLY: drivers print ok without doing the work' })
      .example(
        examples([
          ['$0 payload build -b qemu-aarch64-virt', 'Writes out/payload-qemu-aarch64-virt/ (payload.elf, .bin, .json)'],
          ['$0 run -b qemu-aarch64-virt -k out/payload-qemu-aarch64-virt', 'Boot it; every driver proven by a host-side oracle'],
          ['$0 payload build -b rpi3b -d uart,gpio -o out/pi', 'A smaller driver set, in out/pi/'],
        ]),
      )
      .epilogue('Outputs are reproducible: the same inputs give the same bytes. Boot it with `boardkit run --board B --kernel OUT_DIR`.'),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const [{ buildBoardPayload }, { loadBoardRegistry }, { knownArtifactIds }, { NodeSpawner }, { withTask }, { parseDrivers }] = await Promise.all([
      import('../../workflows/payload-build.js'),
      import('../../workflows/boards.js'),
      import('../../workflows/firmware-ids.js'),
      import('../../transports/node/node-spawner.js'),
      import('../render/tasks.js'),
      import('../drivers-option.js'),
    ]);
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const drivers = parseDrivers(argv.drivers);
    const outDir = argv.output ?? `out/payload-${argv.board}`;
    const result = await withTask(ctx, `payload build ${argv.board}`, (progress) =>
      buildBoardPayload(registry, { board: argv.board, outDir, ...(drivers ? { drivers } : {}), ...(argv['test-only-fake-ok'] ? { testOnlyFakeOk: true } : {}) }, { spawner: new NodeSpawner() }, { progress }),
    );
    if (ctx.json) ctx.output.result('payload build', { outDir, ...result });
    else {
      const lines = [`payload for ${result.manifest.board} (${result.manifest.arch}, drivers ${result.manifest.spec.drivers.map((d) => d.kind).join(',')}) in ${outDir}`];
      for (const f of [result.elf, result.bin, result.efi]) if (f) lines.push(`  ${f.path}  ${f.size} bytes  sha256 ${f.sha256.slice(0, 16)}…`);
      lines.push(`  ${result.json}`);
      ctx.output.out(lines.join('\n'));
    }
  },
};

export const payloadCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'payload',
  describe: 'The reference bare-metal payload: build it for a board and driver set',
  builder: (y) => y.command([build] as CommandModule<GlobalArgs, any>[]).demandCommand(1, 'Name a payload subcommand: build').example(examples([['$0 payload build -b qemu-riscv64-virt', 'The reference payload, in out/payload-qemu-riscv64-virt/'], ['$0 run -b qemu-riscv64-virt -k out/payload-qemu-riscv64-virt', 'Boot it and prove every driver']])),
  handler: () => {},
};
