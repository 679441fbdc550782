import yargs from 'yargs';
import { asBoardkitError } from '../core/errors.js';
import { commands } from './commands/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { installInterrupts } from './interrupt.js';
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
  const started = performance.now();
  const interrupts = installInterrupts((sig) => {
    stdOutput.err(`boardkit: ${sig} again: exiting now`);
    process.exit(EXIT.interrupted);
  });
  try {
    await parser.parseAsync();
    exitCode = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (interrupts.received) {
      exitCode = EXIT.interrupted;
    } else if (err instanceof UsageErrorFromYargs) {
      stdOutput.err(`${err.message}\nRun 'boardkit --help' (or '<command> --help') for usage and examples.`);
      exitCode = EXIT.usage;
    } else {
      const e = asBoardkitError(err);
      if (wantsJson) stdOutput.json(errorJson(e));
      else stdOutput.err(renderError(e));
      exitCode = exitCodeFor(e.kind);
    }
  } finally {
    interrupts.dispose();
  }
  if (interrupts.received) {
    // One code and one line for every interrupted command; what it started is stopped by now.
    const words = argv.filter((a) => !a.startsWith('-'));
    const command = words.slice(0, GROUP_COMMANDS.has(words[0] ?? '') ? 2 : 1).join(' ');
    stdOutput.err(`boardkit: interrupted by ${interrupts.received} after ${((performance.now() - started) / 1000).toFixed(1)} s in '${command}'; everything it started has been stopped`);
    exitCode = EXIT.interrupted;
  }
  process.exitCode = exitCode;
  return exitCode;
}

class UsageErrorFromYargs extends Error {}

/** Commands whose first argument is a subcommand (`boards list`, `netboot serve`). */
const GROUP_COMMANDS = new Set(['boards', 'firmware', 'netboot', 'payload']);
