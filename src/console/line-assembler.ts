/**
 * Splits normalised console text into whole lines, each stamped with the wall time its first
 * character arrived (for `--timestamps` and the multi-port monitor). An unfinished line (a prompt)
 * can be taken out early with `flush`.
 */
export interface TimedLine {
  text: string;
  /** Epoch ms when the line's first character arrived. */
  wall: number;
}

export class LineAssembler {
  private partial = '';
  private partialWall = 0;
  /** The current line was already emitted by `flush`: its bare line end is not a new empty line. */
  private flushedOpen = false;

  push(text: string, wall: number): TimedLine[] {
    const out: TimedLine[] = [];
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      const piece = text.slice(from, nl);
      if (!(this.flushedOpen && !this.partial && !piece)) out.push({ text: this.partial + piece, wall: this.partial ? this.partialWall : wall });
      this.flushedOpen = false;
      this.partial = '';
      from = nl + 1;
    }
    const rest = text.slice(from);
    if (rest) {
      if (!this.partial) this.partialWall = wall;
      this.partial += rest;
    }
    return out;
  }

  /** The unfinished line, if any (then it counts as emitted). */
  flush(): TimedLine | undefined {
    if (!this.partial) return undefined;
    const line = { text: this.partial, wall: this.partialWall };
    this.partial = '';
    this.flushedOpen = true;
    return line;
  }
}

/** `HH:MM:SS.mmm` in local time, the prefix used on timestamped lines. */
export function formatClockTime(wall: number): string {
  const d = new Date(wall);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
