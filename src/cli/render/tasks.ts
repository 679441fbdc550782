import { Listr } from 'listr2';
import type { ProgressEvent, ProgressSink } from '../../core/progress.js';
import type { CliContext } from '../context.js';
import { netbootProgressText } from './netboot.js';

/** An event's line: its own message, or the text of a typed event rendered here in cli/render. */
const textOf = (e: ProgressEvent): string | undefined => e.message ?? netbootProgressText(e);

/**
 * Runs one long library call under a listr2 task on a terminal (spinner, the latest progress
 * message below it); elsewhere (pipes, CI, --json) progress goes to stderr as plain lines so that
 * stdout stays the result. The library only emits events: this is where they become text.
 */
export async function withTask<T>(ctx: CliContext, title: string, fn: (progress: ProgressSink) => Promise<T>, options: { lines?: (e: ProgressEvent) => boolean } = {}): Promise<T> {
  const show = options.lines ?? (() => true);
  if (ctx.json || !process.stderr.isTTY) {
    return fn((e) => {
      const text = textOf(e);
      if (text && show(e) && (!ctx.json || ctx.verbose)) ctx.output.err(`  ${e.source}: ${text}`);
    });
  }
  let result: T | undefined;
  const tasks = new Listr(
    [
      {
        title,
        task: async (_ctx, task) => {
          result = await fn((e) => {
            const text = textOf(e);
            if (text && show(e)) task.output = text;
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
