import yargs from 'yargs';
import { asBoardkitError } from '../core/errors.js';
import { commands } from './commands/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { errorJson, renderError, stdOutput } from './output.js';

/**
 * The composition root's entry: parses argv with yargs (strict), runs one command, maps errors to
 * exit codes. Returns the exit code (also sets process.exitCode) so tests can call it in-process.
 */
export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  let exitCode: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('boardkit')
    .usage(
      '$0 <command> [options]\n\nBoard profiles, firmware artefacts, emulated boards, serial consoles and netboot for bare-metal and unikernel payloads.',
    )
    .option('json', { type: 'boolean', describe: 'Machine-readable output on stdout', global: true })
    .option('boards-dir', {
      type: 'string',
      array: true,
      describe: 'Extra directory of board profiles (*.yaml) beside the built-in ones',
      global: true,
    })
    .option('cache-dir', {
      type: 'string',
      describe: 'Firmware artefact cache (default $BOARDKIT_CACHE_DIR or ~/.cache/boardkit)',
      global: true,
    })
    .option('verbose', { type: 'boolean', describe: 'More detail in progress and errors', global: true })
    .command(commands)
    .demandCommand(1, 'Name a command; `boardkit --help` lists them.')
    .recommendCommands()
    .strict()
    .completion('completion', 'Print a shell completion script (bash/zsh): boardkit completion >> ~/.bashrc')
    .example('$0 boards list', 'The boards boardkit knows')
    .example('$0 boards show rpi4b', 'One board: console, memory, drivers, flash methods, emulation')
    .epilogue('Every command has --help with examples. Exit codes: 0 ok, 1 check failed, 2 usage, 3 host setup, 4 infrastructure.')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageErrorFromYargs(msg);
    });
  try {
    await parser.parseAsync();
    exitCode = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof UsageErrorFromYargs) {
      stdOutput.err(`${err.message}\nRun 'boardkit --help' (or '<command> --help') for usage and examples.`);
      exitCode = EXIT.usage;
    } else {
      const e = asBoardkitError(err);
      if (wantsJson) stdOutput.json(errorJson(e));
      else stdOutput.err(renderError(e));
      exitCode = exitCodeFor(e.kind);
    }
  }
  process.exitCode = exitCode;
  return exitCode;
}

class UsageErrorFromYargs extends Error {}
