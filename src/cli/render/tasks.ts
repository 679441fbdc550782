import { Listr } from 'listr2';
import type { ProgressEvent, ProgressSink } from '../../core/progress.js';
import type { CliContext } from '../context.js';

/**
 * Runs one long library call under a listr2 task on a terminal (spinner, the latest progress
 * message below it); elsewhere (pipes, CI, --json) progress goes to stderr as plain lines so that
 * stdout stays the result. The library only emits events: this is where they become text.
 */
export async function withTask<T>(ctx: CliContext, title: string, fn: (progress: ProgressSink) => Promise<T>, options: { lines?: (e: ProgressEvent) => boolean } = {}): Promise<T> {
  const show = options.lines ?? (() => true);
  if (ctx.json || !process.stderr.isTTY) {
    return fn((e) => {
      if (e.message && show(e) && (!ctx.json || ctx.verbose)) ctx.output.err(`  ${e.source}: ${e.message}`);
    });
  }
  let result: T | undefined;
  const tasks = new Listr(
    [
      {
        title,
        task: async (_ctx, task) => {
          result = await fn((e) => {
            if (e.message && show(e)) task.output = e.message;
          });
        },
        rendererOptions: { outputBar: ctx.verbose ? Infinity : 1, persistentOutput: ctx.verbose },
      },
    ],
    // registerSignalListeners: listr2 would exit(127) on Ctrl-C before the command stops what it started.
    { exitOnError: true, registerSignalListeners: false, rendererOptions: { collapseErrors: false }, fallbackRendererCondition: () => !process.stderr.isTTY },
  );
  await tasks.run();
  return result as T;
}
