import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { requireEmulation, resolveBoard, type BoardRef } from '../boards/plan.js';
import type { ProgressSink } from '../core/progress.js';
import { buildBoardPayload } from './payload-build.js';
import { runPayload, type PayloadRunReport } from './payload-run.js';
import { runBoard, type RunReport } from './run-board.js';
import type { NetbootEnvironment } from './netboot-run.js';

export interface DemoStep {
  name: string;
  /** `skipped` steps did not run (the reason is in `summary`); only `failed` fails the demo. */
  status: 'passed' | 'failed' | 'skipped' | 'interrupted';
  ok: boolean;
  ms: number;
  summary: string;
  report?: RunReport | PayloadRunReport;
}

export interface DemoReport {
  board: string;
  ok: boolean;
  /** Set when a signal stopped the demo: the steps after it are listed as not run. */
  interrupted?: boolean;
  steps: DemoStep[];
}

/**
 * The end-to-end tour on one emulated board, each step a real capability: the firmware chain boots
 * and is verified on the console; the reference payload is built for the board's driver set; it
 * boots with every driver proven by a host-side oracle; and it netboots through our own DHCP and
 * TFTP servers. A step the board cannot do is listed as skipped with the reason (from its
 * profile), never silently left out; a board with no emulation at all is a usage error.
 */
export async function runDemo(
  board: BoardRef,
  request: { board: string; outDir: string; windowsize?: number; runDir?: string },
  env: NetbootEnvironment,
  options: { progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<DemoReport> {
  const profile = resolveBoard(board, request.board);
  const steps: DemoStep[] = [];
  let interrupted = false;
  const stepDir = async (n: number, name: string): Promise<string | undefined> => {
    if (!request.runDir) return undefined;
    const dir = join(request.runDir, `${n}-${name}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const skip = (name: string, why: string) => steps.push({ name, status: 'skipped', ok: true, ms: 0, summary: `skipped: ${why}` });
  const step = async <T>(name: string, fn: () => Promise<T>, judge: (v: T) => { ok: boolean; summary: string; report?: RunReport | PayloadRunReport }): Promise<boolean> => {
    if (interrupted || options.signal?.aborted) {
      interrupted = true;
      steps.push({ name, status: 'interrupted', ok: false, ms: 0, summary: 'not run: interrupted' });
      return false;
    }
    options.progress?.({ source: 'demo', type: 'step', message: name });
    const t0 = performance.now();
    try {
      const j = judge(await fn());
      if (options.signal?.aborted) interrupted = true;
      steps.push({ name, status: options.signal?.aborted ? 'interrupted' : j.ok ? 'passed' : 'failed', ok: j.ok, ms: Math.round(performance.now() - t0), summary: j.summary, ...(j.report ? { report: j.report } : {}) });
      return j.ok;
    } catch (err) {
      if (!options.signal?.aborted) throw err;
      interrupted = true;
      steps.push({ name, status: 'interrupted', ok: false, ms: Math.round(performance.now() - t0), summary: 'interrupted' });
      return false;
    }
  };

  const firmwareStep = 'firmware chain boots';
  const buildStep = 'payload builds for the driver set';
  const bootStep = 'payload boots; every driver proven by a host oracle';
  const netStep = `payload netboots via boardkit DHCP+TFTP (windowsize ${request.windowsize ?? 16})`;
  const modes = requireEmulation(profile).modes;
  const noMode = (m: string) => `the profile has no '${m}' emulation mode`;

  if (modes['firmware-only']) {
    const runDir = await stepDir(1, 'firmware');
    await step(firmwareStep, () => runBoard(profile, { board: profile.id, mode: 'firmware-only', ...(runDir ? { runDir } : {}) }, env, options), (r) => ({
      ok: r.ok,
      summary: r.boot.timeline.map((s) => `${s.stage} ${s.atMs} ms`).join(', ') || (r.boot.failure?.message ?? ''),
      report: r,
    }));
  } else skip(firmwareStep, `${noMode('firmware-only')} (its firmware runs only with the payload: ${modes.kernel?.markers.join(' -> ') ?? 'none'})`);

  const out = join(request.outDir, `payload-${profile.id}`);
  const built = await step(buildStep, () => buildBoardPayload(profile, { board: profile.id, outDir: out }, env, options), (b) => ({
    ok: true,
    summary: `${b.manifest.spec.drivers.map((d) => d.kind).join(', ')} in ${out}`,
  }));
  const judgeRun = (r: PayloadRunReport) => ({
    ok: r.ok,
    summary: `${r.oracles.filter((o) => o.ok).length}/${r.oracles.length} oracles agree${r.ok ? '' : `: ${r.oracles.filter((o) => !o.ok).map((o) => `${o.driver} ${o.detail}`).join('; ') || r.boot.failure?.message}`}`,
    report: r,
  });
  if (!modes.kernel) skip(bootStep, noMode('kernel'));
  else if (!built) skip(bootStep, 'the payload did not build');
  else {
    const runDir = await stepDir(3, 'payload');
    await step(bootStep, () => runPayload(profile, { board: profile.id, kernel: out, ...(runDir ? { runDir } : {}) }, env, options), judgeRun);
  }
  if (!profile.netboot) skip(netStep, 'the profile has no netboot section');
  else if (!modes.netboot) skip(netStep, `${noMode('netboot')}: no emulated firmware chain fetches this board's boot files (serve a real board with \`boardkit netboot serve\`)`);
  else if (!built) skip(netStep, 'the payload did not build');
  else {
    const runDir = await stepDir(4, 'netboot');
    await step(netStep, () => runPayload(profile, { board: profile.id, kernel: out, netboot: true, windowsize: request.windowsize ?? 16, ...(runDir ? { runDir } : {}) }, env, options), judgeRun);
  }
  const ran = steps.filter((s) => s.status !== 'skipped');
  return {
    board: profile.id,
    ok: !interrupted && ran.length > 0 && ran.every((s) => s.ok),
    ...(interrupted ? { interrupted: true } : {}),
    steps,
  };
}
