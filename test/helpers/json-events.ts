/**
 * Follows a `--json` CLI child: one JSON event per stdout line. `events()` is everything so far;
 * `waitFor` polls until a predicate holds (or the deadline passes) and returns the events.
 */
export interface JsonEventStream {
  events(): Array<Record<string, any>>;
  stderr(): string;
  waitFor(pred: (events: Array<Record<string, any>>) => boolean, timeoutMs?: number): Promise<Array<Record<string, any>>>;
}

export function followJsonEvents(child: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null }): JsonEventStream {
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const events = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  return {
    events,
    stderr: () => err,
    async waitFor(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(events()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return events();
    },
  };
}
