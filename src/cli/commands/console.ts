import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { signalsEndThisCommand } from '../interrupt.js';

interface ConsoleArgs extends GlobalArgs {
  path: string;
  baud: number;
  log?: string;
  timestamps?: boolean;
}

/**
 * `boardkit console PATH`: an interactive serial terminal. The terminal is in raw mode (Ctrl-C goes
 * to the board); Ctrl-] quits. The byte stream is written straight to stdout: it is the board's
 * output, not boardkit's, so it bypasses the line-oriented ctx.output.
 */
export const consoleCommand: CommandModule<GlobalArgs, ConsoleArgs> = {
  command: 'console <path>',
  describe: 'Interactive serial console (device path, serial:SERIALNO or tcp:HOST:PORT); Ctrl-] quits',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('path', { type: 'string', demandOption: true, describe: 'Device path (/dev/serial/by-id/...), serial:SERIALNO, or tcp:HOST:PORT' })
      .option('baud', { type: 'number', default: 115200, describe: 'UART speed (ignored for ptys and TCP)' })
      .option('log', { type: 'string', describe: 'Append the session to this file (raw bytes; timestamped lines with --timestamps)' })
      .option('timestamps', { type: 'boolean', describe: 'Prefix each line with the time (terminal and log)' })
      .example(
        examples([
          ['$0 console /dev/serial/by-id/usb-FTDI_FT232R_A50285BI-if00-port0', 'A USB serial adapter at 115200 baud'],
          ['$0 console tcp:localhost:4321 --log boot.log --timestamps', 'A QEMU -chardev socket console, logged with times'],
        ]),
      )
      .epilogue('Interactive: --json does not apply (`boardkit monitor PATH --json` gives JSON lines).') as Argv<ConsoleArgs>,
  handler: async (argv) => {
    signalsEndThisCommand(); // SIGINT/SIGTERM is how this command is stopped
    const ctx = makeContext(argv);
    if (ctx.json) {
      throw new UsageError('console is an interactive terminal: --json does not apply', {
        hint: "for the board's lines as JSON events use `boardkit monitor PATH --json`",
      });
    }
    const { openNodeSerialLink } = await import('../../transports/node/open-serial-link.js');
    const { runConsoleTerminal, escapeKeyName, DEFAULT_ESCAPE_BYTE } = await import('../../workflows/console-terminal.js');
    const link = await openNodeSerialLink(argv.path, { baudRate: argv.baud });
    const stdin = process.stdin;
    const wasRaw = stdin.isTTY ? stdin.isRaw : false;
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    ctx.output.err(`boardkit: connected to ${link.description}${argv.path.startsWith('tcp:') ? '' : ` at ${argv.baud} baud`}. Press ${escapeKeyName(DEFAULT_ESCAPE_BYTE)} to quit.`);
    try {
      if (stdin.isTTY) stdin.setRawMode(true);
      stdin.resume();
      const result = await runConsoleTerminal({
        link,
        input: stdin,
        write: (d) => void process.stdout.write(d),
        ...(argv.log ? { logPath: argv.log } : {}),
        ...(argv.timestamps ? { timestamps: true } : {}),
        signal: abort.signal,
      });
      ctx.output.err(`\r\nboardkit: console closed (${result.reason}); ${result.bytesFromBoard} bytes received${result.logPath ? `, log: ${result.logPath}` : ''}`);
    } finally {
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      await link.close();
    }
  },
};
