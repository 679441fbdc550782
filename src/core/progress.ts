/**
 * Progress is a stream of typed events; the library emits, `src/cli/` renders.
 * A sink is a plain function so it composes (tee, filter) without an emitter class.
 */
export interface ProgressEvent {
  /** Which operation emits (e.g. `firmware.fetch`, `qemu`, `tftp`). */
  readonly source: string;
  /** What happened (e.g. `start`, `progress`, `done`, `warn`). */
  readonly type: string;
  readonly message?: string;
  /** Work done / total, when the operation is measurable. */
  readonly done?: number;
  readonly total?: number;
  readonly data?: Record<string, unknown>;
}

export type ProgressSink = (event: ProgressEvent) => void;

export const noProgress: ProgressSink = () => {};

export function teeProgress(...sinks: ProgressSink[]): ProgressSink {
  return (event) => {
    for (const sink of sinks) sink(event);
  };
}
