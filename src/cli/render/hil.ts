import { Listr } from 'listr2';
import type { ProgressEvent, ProgressSink } from '../../core/progress.js';
import type { CliContext } from '../context.js';

interface StageEvent {
  target: string;
  stage: string;
  status: string;
}

const isStage = (e: ProgressEvent): e is ProgressEvent & { data: StageEvent } => e.source === 'hil' && typeof (e.data as Partial<StageEvent> | undefined)?.target === 'string';

/**
 * The live view of a HIL run: on a terminal, one listr2 line per target showing its current stage
 * (board × stage); elsewhere (pipes, CI, --json) one plain line per stage change on stderr.
 */
export async function renderHilProgress<T>(ctx: CliContext, title: string, fn: (progress: ProgressSink) => Promise<T>): Promise<T> {
  if (ctx.json || !process.stderr.isTTY) {
    return fn((e) => {
      if (isStage(e) && e.data.status !== 'running' && (!ctx.json || ctx.verbose)) ctx.output.err(`  ${e.data.target}: ${e.data.stage} ${e.data.status}${e.message ? ` (${e.message.replace(`${e.data.target}: ${e.data.stage} `, '')})` : ''}`);
      else if (ctx.verbose && e.message && !isStage(e)) ctx.output.err(`  ${e.source}: ${e.message}`);
    });
  }
  const lines = new Map<string, string>();
  let result: T | undefined;
  const tasks = new Listr(
    [
      {
        title: `hil run ${title}`,
        task: async (_ctx, task) => {
          result = await fn((e) => {
            if (!isStage(e)) return;
            lines.set(e.data.target, `${e.data.target.padEnd(24)} ${e.data.stage.padEnd(8)} ${e.data.status}`);
            task.output = [...lines.values()].join('\n');
          });
        },
        rendererOptions: { outputBar: Infinity, persistentOutput: true },
      },
    ],
    { exitOnError: true, registerSignalListeners: false, rendererOptions: { collapseErrors: false }, fallbackRendererCondition: () => !process.stderr.isTTY },
  );
  await tasks.run();
  return result as T;
}
