import yargs from 'yargs';
import { asBoardkitError, BoardkitError, UsageError } from '../core/errors.js';
import { commands } from './commands/index.js';
import { examples } from './help.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { installInterrupts } from './interrupt.js';
import { errorJson, renderError, stdOutput } from './output.js';

/**
 * The composition root's entry: parses argv with yargs (strict), runs one command, maps errors to
 * exit codes. Returns the exit code (also sets process.exitCode) so tests can call it in-process.
 */
export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  let exitCode: number = EXIT.ok;
  // The command's name for the `--json` envelope, errors included: yargs' command path once parsed
  // (e.g. `boards show`), else the first word when it names a command.
  const topLevel = new Set(commands.map((c) => String(c.command).split(' ')[0]));
  let command = topLevel.has(argv[0] ?? '') ? argv[0]! : 'boardkit';
  const parser = yargs(argv)
    .scriptName('boardkit')
    .usage(
      '$0 <command> [options]\n\nBoard profiles, firmware artefacts, emulated boards, serial consoles and netboot for bare-metal and unikernel payloads.',
    )
    .option('json', { type: 'boolean', describe: 'Machine-readable output on stdout: { "ok", "command", ... } (README: JSON output)', global: true })
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
    .middleware((a) => {
      const path = a._.map(String);
      if (topLevel.has(path[0] ?? '')) command = path.join(' ');
    }, true)
    .command(commands)
    .demandCommand(1, 'Name a command; `boardkit --help` lists them.')
    .recommendCommands()
    .strict()
    .completion('completion', 'Print a shell completion script (bash/zsh): boardkit completion >> ~/.bashrc')
    .example(
      examples([
        ['$0 boards list', 'The boards boardkit knows'],
        ['$0 boards show rpi4b', 'One board: console, memory, drivers, flash methods, emulation'],
        ['$0 demo', 'The end-to-end tour on an emulated board'],
      ]),
    )
    .epilogue(`Every command has --help with examples. ${EXIT_CODES_HELP}`)
    .wrap(helpWidth())
    .exitProcess(false)
    .fail((msg, err, context) => {
      // A parse failure (a missing positional, an unknown option) can come before the middleware:
      // the failing context's usage line ("$0 boards show <id>") still names the command.
      const usage = (context as unknown as { getUsage?: () => Array<[string, string]> }).getUsage?.()[0]?.[0];
      const path: string[] = [];
      for (const word of usage?.split('\n')[0]?.split(' ').slice(1) ?? []) {
        if (!/^[a-z][a-z0-9-]*$/.test(word)) break;
        path.push(word);
      }
      if (path.length && topLevel.has(path[0]!)) command = path.join(' ');
      // yargs gives a message for what parsing and `.check()` refused (usage, exit 2), none for
      // an error a handler threw (which keeps its own kind, or is a bug).
      if (err instanceof BoardkitError || (!msg && err)) throw err;
      throw new UsageErrorFromYargs(msg);
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
      const hint = "run 'boardkit --help' (or '<command> --help') for usage and examples";
      if (wantsJson) stdOutput.json(errorJson(new UsageError(err.message, { hint }), command));
      else stdOutput.err(`${err.message}\nRun 'boardkit --help' (or '<command> --help') for usage and examples.`);
      exitCode = EXIT.usage;
    } else {
      const e = asBoardkitError(err);
      if (wantsJson) stdOutput.json(errorJson(e, command));
      else stdOutput.err(renderError(e));
      exitCode = exitCodeFor(e.kind);
    }
  } finally {
    interrupts.dispose();
  }
  if (interrupts.received) {
    // One code and one line for every interrupted command; what it started is stopped by now.
    stdOutput.err(`boardkit: interrupted by ${interrupts.received} after ${((performance.now() - started) / 1000).toFixed(1)} s in '${command}'; everything it started has been stopped`);
    exitCode = EXIT.interrupted;
  }
  process.exitCode = exitCode;
  return exitCode;
}

class UsageErrorFromYargs extends Error {}

/**
 * Help text width: the terminal's, else $COLUMNS (so `COLUMNS=80 boardkit run --help | less`
 * renders as an 80-column terminal would), else 100; never above 110.
 */
function helpWidth(): number {
  const fromEnv = Number(process.env.COLUMNS);
  return Math.min(110, process.stdout.columns || (Number.isInteger(fromEnv) && fromEnv > 20 ? fromEnv : 100));
}
