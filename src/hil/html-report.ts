/**
 * A self-contained HTML report of a HIL run: no scripts, no external requests (styles inline,
 * screenshots as data: URLs). At the top, one timeline chart for all targets (an SVG at a fixed
 * place: bars are the boot stages between consecutive markers, coloured by outcome); then per
 * target its checks, its console log with the failing line highlighted, and its screenshots.
 */
import { xmlText } from './junit.js';
import type { HilResult, HilTargetResult } from './result.js';

export interface HtmlReportInputs {
  /** Console log text per target name. */
  consoleText?: Record<string, string>;
  /** PNG bytes per target name. */
  screenshots?: Record<string, Uint8Array[]>;
}

/** Timeline geometry, shared with tests that look at the rendered pixels. */
export const TIMELINE = { left: 16, top: 64, labelWidth: 200, width: 760, row: 28, barHeight: 18 } as const;
export const COLOURS = { passed: '#2e7d32', failed: '#c62828', error: '#6a1b9a', pending: '#9e9e9e' } as const;

export interface TimelineBar {
  target: string;
  stage: string;
  startMs: number;
  endMs: number;
  status: keyof typeof COLOURS;
  x: number;
  y: number;
  width: number;
}

/** The bars: per target, each boot stage from the previous marker (or the boot's start) to its own. */
export function timelineBars(r: HilResult): TimelineBar[] {
  const spans = r.targets.map((t) => {
    const out: Array<Omit<TimelineBar, 'x' | 'y' | 'width'>> = [];
    let prev = 0;
    for (const m of t.timeline) {
      out.push({ target: t.name, stage: m.stage, startMs: prev, endMs: Math.max(m.atMs, prev + 1), status: 'passed' });
      prev = Math.max(m.atMs, prev + 1);
    }
    if (t.status !== 'passed' && t.status !== 'not-run') {
      const end = Math.max(prev + 1, t.stages.find((s) => s.kind === 'boot')?.durationMs ?? prev + 1);
      out.push({ target: t.name, stage: t.failingLine ? 'failed here' : t.status, startMs: prev, endMs: end, status: t.status === 'error' ? 'error' : t.status === 'failed' ? 'failed' : 'pending' });
    }
    return out;
  });
  const maxMs = Math.max(1, ...spans.flat().map((b) => b.endMs));
  const scale = TIMELINE.width / maxMs;
  return spans.flatMap((row, i) =>
    row.map((b) => ({
      ...b,
      x: TIMELINE.labelWidth + Math.round(b.startMs * scale),
      y: i * TIMELINE.row + (TIMELINE.row - TIMELINE.barHeight) / 2,
      width: Math.max(2, Math.round((b.endMs - b.startMs) * scale) - 1),
    })),
  );
}

function timelineSvg(r: HilResult): string {
  const bars = timelineBars(r);
  const h = Math.max(1, r.targets.length) * TIMELINE.row;
  const w = TIMELINE.labelWidth + TIMELINE.width + 8;
  const labels = r.targets.map((t, i) => `<text x="0" y="${i * TIMELINE.row + 18}" font-size="13" fill="#222">${xmlText(t.name)}</text>`);
  const rects = bars.map(
    (b) =>
      `<rect class="bar" data-target="${xmlText(b.target)}" data-stage="${xmlText(b.stage)}" data-status="${b.status}" x="${b.x}" y="${b.y}" width="${b.width}" height="${TIMELINE.barHeight}" fill="${COLOURS[b.status]}"><title>${xmlText(`${b.target}: ${b.stage} ${b.startMs}-${b.endMs} ms`)}</title></rect>`,
  );
  return `<div id="timeline" style="position:absolute;left:${TIMELINE.left}px;top:${TIMELINE.top}px;width:${w}px;height:${h}px"><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${[...labels, ...rects].join('')}</svg></div>`;
}

function consoleHtml(text: string, failing: string | undefined): string {
  const lines = text.replace(/\r/g, '').split('\n');
  let marked = false;
  return lines
    .map((l) => {
      const esc = xmlText(l);
      if (!marked && failing && l.includes(failing.trim())) {
        marked = true;
        return `<mark class="failing">${esc}</mark>`;
      }
      return esc;
    })
    .join('\n');
}

function targetSection(t: HilTargetResult, inputs: HtmlReportInputs): string {
  const rows = t.cases.map((c) => `<tr class="${c.status}"><td>${xmlText(c.name)}</td><td>${c.status}</td><td>${(c.timeMs / 1000).toFixed(1)} s</td><td>${xmlText(c.message ?? '')}</td></tr>`);
  const stages = t.stages.map((s) => `<li class="${s.status}">${xmlText(s.kind)}: ${s.status} (${(s.durationMs / 1000).toFixed(1)} s) ${xmlText(s.detail)}</li>`);
  const shots = (inputs.screenshots?.[t.name] ?? []).map((png, i) => `<img alt="screenshot ${i + 1} of ${xmlText(t.name)}" src="data:image/png;base64,${Buffer.from(png).toString('base64')}">`);
  const text = inputs.consoleText?.[t.name];
  return [
    `<section class="target" id="target-${xmlText(t.name)}">`,
    `<h2>${xmlText(t.name)} <span class="${t.status}">${t.status.toUpperCase()}</span></h2>`,
    `<p>board ${xmlText(t.board)} · lab board ${xmlText(t.labBoard)}${t.emulated ? ' (emulated)' : ''} · ${t.attempts} attempt(s) · ${(t.durationMs / 1000).toFixed(1)} s</p>`,
    t.error ? `<p class="error">${xmlText(t.error.message)}${t.error.hint ? `<br>hint: ${xmlText(t.error.hint)}` : ''}</p>` : '',
    `<ul class="stages">${stages.join('')}</ul>`,
    `<table class="cases"><tr><th>check</th><th>result</th><th>time</th><th>detail</th></tr>${rows.join('')}</table>`,
    text !== undefined ? `<h3>Console log</h3><pre class="console">${consoleHtml(text, t.failingLine)}</pre>` : '<p>No console log.</p>',
    shots.length ? `<h3>Screenshots</h3>${shots.join('')}` : '',
    '</section>',
  ].join('\n');
}

export function htmlReport(r: HilResult, inputs: HtmlReportInputs = {}): string {
  const outcome = r.interrupted ? 'INTERRUPTED (partial results)' : r.ok ? 'PASSED' : 'FAILED';
  const h = Math.max(1, r.targets.length) * TIMELINE.row;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${xmlText(r.run)}: ${outcome}</title>
<style>
body{margin:0;font:14px/1.4 sans-serif;color:#222;background:#fff}
header{position:absolute;left:0;top:0;height:56px;width:100%;padding:8px 16px;box-sizing:border-box;background:#eceff1}
header h1{margin:0;font-size:20px}
main{padding:${TIMELINE.top + h + 16}px 16px 16px}
.passed{color:#2e7d32}.failed{color:#c62828}.error{color:#6a1b9a}.skipped,.interrupted,.not-run{color:#757575}
table.cases{border-collapse:collapse}table.cases td,table.cases th{border:1px solid #ccc;padding:2px 6px;text-align:left}
pre.console{background:#111;color:#ddd;padding:8px;overflow:auto;max-height:480px}
mark.failing{background:#c62828;color:#fff}
img{max-width:640px;border:1px solid #ccc;margin:4px}
</style></head>
<body>
<header><h1>${xmlText(r.run)}: <span class="${r.interrupted ? 'interrupted' : r.ok ? 'passed' : 'failed'}">${outcome}</span></h1><div>${xmlText(r.file)} · started ${xmlText(r.startedAt)} · ${(r.durationMs / 1000).toFixed(1)} s · ${r.targets.length} target(s)</div></header>
${timelineSvg(r)}
<main>
${r.targets.map((t) => targetSection(t, inputs)).join('\n')}
</main>
</body></html>
`;
}
