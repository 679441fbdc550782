import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type CliContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';

async function sources(ctx: CliContext) {
  const { knownArtifactIds } = await import('../../workflows/firmware-ids.js');
  return { boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir), relativeTo: process.cwd() };
}

const list: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'list',
  describe: 'List the board profiles (built-in and --boards-dir)',
  builder: (y) =>
    y.example(
      examples([
        ['$0 boards list --json', 'All boards as JSON'],
        ['$0 boards list --boards-dir ./my-boards', 'Include your own profiles'],
      ]),
    ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { loadBoardRegistry } = await import('../../workflows/boards.js');
    const registry = await loadBoardRegistry(await sources(ctx));
    if (ctx.json) ctx.output.result('boards list', { boards: registry.list().map((e) => ({ ...e.profile, file: e.file })) });
    else {
      const { renderBoardList } = await import('../render/board.js');
      ctx.output.out(renderBoardList(registry.list()));
    }
  },
};

const show: CommandModule<GlobalArgs, GlobalArgs & { id: string }> = {
  command: 'show <id>',
  describe: 'Show one board: console, memory map, boot chain, driver sets, flashing, emulation, verification',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('id', { type: 'string', demandOption: true, describe: 'Board id (see `boardkit boards list`)' })
      .example(
        examples([
          ['$0 boards show rpi4b', 'What boardkit knows about the Pi 4'],
          ['$0 boards show qemu-riscv64-virt --json | jq .emulation', 'The emulation recipe only'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { loadBoardRegistry } = await import('../../workflows/boards.js');
    const entry = (await loadBoardRegistry(await sources(ctx))).get(argv.id);
    if (ctx.json) ctx.output.result('boards show', { ...entry.profile, file: entry.file, chain: entry.chain });
    else {
      const { renderBoard } = await import('../render/board.js');
      ctx.output.out(renderBoard(entry));
    }
  },
};

const validate: CommandModule<GlobalArgs, GlobalArgs & { files: string[] }> = {
  command: 'validate <files..>',
  describe: 'Validate profile files (with the built-in profiles they may extend); exit 1 listing every problem',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Profile YAML files' })
      .example(examples([['$0 boards validate my-board.yaml', 'Check a new profile; errors read file:line:col rule message']])),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { validateBoardFiles } = await import('../../workflows/boards.js');
    const { formatIssue } = await import('../../boards/issues.js');
    const result = await validateBoardFiles(argv.files, await sources(ctx));
    const ok = result.issues.length === 0;
    if (ctx.json) ctx.output.result('boards validate', { checked: argv.files, issues: result.issues }, ok);
    else if (ok) ctx.output.out(`ok: ${argv.files.length} file(s) valid`);
    else {
      for (const i of result.issues) ctx.output.err(formatIssue(i));
      ctx.output.err(`${result.issues.length} problem(s); see boards/board.schema.json for the allowed keys`);
    }
    process.exitCode = ok ? EXIT.ok : EXIT.checkFailed;
  },
};

const schema: CommandModule<GlobalArgs, GlobalArgs & { output?: string }> = {
  command: 'schema',
  describe: 'Print the JSON Schema of board profiles (for editors); -o writes it to a file',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('output', { alias: 'o', type: 'string', describe: 'Write to this file instead of stdout' })
      .example(examples([['$0 boards schema -o boards/board.schema.json', 'Regenerate the checked-in schema']])),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { boardJsonSchema } = await import('../../boards/schema.js');
    const text = `${JSON.stringify(boardJsonSchema(), null, 2)}\n`;
    if (argv.output) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(argv.output, text).catch(async (err: unknown) => {
        const { UsageError } = await import('../../core/errors.js');
        throw new UsageError(`cannot write the schema to '${argv.output}': ${(err as Error).message}`, { cause: err, hint: '-o takes a file path in an existing, writable directory' });
      });
      if (ctx.json) ctx.output.result('boards schema', { written: argv.output });
    } else if (ctx.json) ctx.output.result('boards schema', { schema: boardJsonSchema() });
    else ctx.output.out(text);
  },
};

export const boardsCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'boards',
  describe: 'Board profiles: list, show, validate, schema',
  builder: (y) => y.command([list, show, validate, schema] as CommandModule<GlobalArgs, any>[]).demandCommand(1, 'Name a boards subcommand: list, show, validate, schema').example(examples([['$0 boards list', 'The boards boardkit knows'], ['$0 boards show rpi3b', 'One board in full']])),
  handler: () => {},
};
