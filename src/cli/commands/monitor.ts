import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { signalsEndThisCommand } from '../interrupt.js';

interface MonitorArgs extends GlobalArgs {
  paths: string[];
  'log-dir'?: string;
  baud: number;
}

/** `boardkit monitor PATH...`: several consoles at once, each line prefixed with device and time. */
export const monitorCommand: CommandModule<GlobalArgs, MonitorArgs> = {
  command: 'monitor <paths..>',
  describe: 'Watch several serial consoles at once; one timestamped log file per device',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'Device paths, serial:SERIALNO or tcp:HOST:PORT' })
      .option('log-dir', { type: 'string', describe: 'Write <device>.log here for each console' })
      .option('baud', { type: 'number', default: 115200, describe: 'UART speed for every device (ignored for ptys and TCP)' })
      .example(
        examples([
          ['$0 monitor /dev/ttyUSB0 /dev/ttyUSB1 --log-dir logs', 'Two boards side by side; Ctrl-C stops'],
          ['$0 monitor tcp:localhost:4321 tcp:localhost:4322', 'Two QEMU socket consoles'],
          ['$0 monitor /dev/ttyUSB0 --json', 'One JSON event per console line, a summary at the end'],
        ]),
      ) as Argv<MonitorArgs>,
  handler: async (argv) => {
    signalsEndThisCommand(); // SIGINT/SIGTERM is how this command is stopped
    const ctx = makeContext(argv);
    const { openNodeSerialLink } = await import('../../transports/node/open-serial-link.js');
    const { runMonitor, monitorNames } = await import('../../workflows/monitor.js');
    const names = monitorNames(argv.paths);
    const links: Awaited<ReturnType<typeof openNodeSerialLink>>[] = [];
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      for (const p of argv.paths) links.push(await openNodeSerialLink(p, { baudRate: argv.baud }));
      if (!ctx.json) ctx.output.err(`boardkit: monitoring ${names.join(', ')}${argv['log-dir'] ? ` (logs in ${argv['log-dir']})` : ''}; Ctrl-C stops`);
      const result = await runMonitor({
        ports: links.map((link, i) => ({ name: names[i]!, link })),
        ...(argv['log-dir'] ? { logDir: argv['log-dir'] } : {}),
        onLine: (line) => (ctx.json ? ctx.output.event('monitor', { type: 'line', line }) : ctx.output.out(line)),
        signal: abort.signal,
      });
      if (ctx.json) ctx.output.event('monitor', { type: 'summary', ...result });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await Promise.all(links.map((l) => l.close()));
    }
  },
};
