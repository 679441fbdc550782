import { join } from 'node:path';
import { resolveBoard, type BoardRef } from '../boards/plan.js';
import type { ProgressSink } from '../core/progress.js';
import { buildBoardPayload } from './payload-build.js';
import { runPayload, type PayloadRunReport } from './payload-run.js';
import { runBoard, type RunReport } from './run-board.js';
import type { NetbootEnvironment } from './netboot-run.js';

export interface DemoStep {
  name: string;
  ok: boolean;
  ms: number;
  summary: string;
  report?: RunReport | PayloadRunReport;
}

export interface DemoReport {
  board: string;
  ok: boolean;
  steps: DemoStep[];
}

/**
 * The end-to-end tour on one emulated board, each step a real capability: the firmware chain boots
 * and is verified on the console; the reference payload is built for the board's driver set; it
 * boots with every driver proven by a host-side oracle; and it netboots through our own DHCP and
 * TFTP servers (when the board's profile can netboot under emulation).
 */
export async function runDemo(
  board: BoardRef,
  request: { board: string; outDir: string; windowsize?: number },
  env: NetbootEnvironment,
  options: { progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<DemoReport> {
  const profile = resolveBoard(board, request.board);
  const steps: DemoStep[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>, judge: (v: T) => { ok: boolean; summary: string; report?: RunReport | PayloadRunReport }) => {
    options.progress?.({ source: 'demo', type: 'step', message: name });
    const t0 = performance.now();
    const v = await fn();
    const j = judge(v);
    steps.push({ name, ms: Math.round(performance.now() - t0), ...j });
    return j.ok;
  };
  const modes = profile.emulation?.modes ?? {};
  if (modes['firmware-only'])
    await step('firmware chain boots', () => runBoard(profile, { board: profile.id, mode: 'firmware-only' }, env, options), (r) => ({
      ok: r.ok,
      summary: r.boot.timeline.map((s) => `${s.stage} ${s.atMs} ms`).join(', ') || (r.boot.failure?.message ?? ''),
      report: r,
    }));
  const out = join(request.outDir, `payload-${profile.id}`);
  const built = await step('payload builds for the driver set', () => buildBoardPayload(profile, { board: profile.id, outDir: out }, env, options), (b) => ({
    ok: true,
    summary: `${b.manifest.spec.drivers.map((d) => d.kind).join(', ')} in ${out}`,
  }));
  const judgeRun = (r: PayloadRunReport) => ({
    ok: r.ok,
    summary: `${r.oracles.filter((o) => o.ok).length}/${r.oracles.length} oracles agree${r.ok ? '' : `: ${r.oracles.filter((o) => !o.ok).map((o) => `${o.driver} ${o.detail}`).join('; ') || r.boot.failure?.message}`}`,
    report: r,
  });
  if (built && modes.kernel) await step('payload boots; every driver proven by a host oracle', () => runPayload(profile, { board: profile.id, kernel: out }, env, options), judgeRun);
  if (built && modes.netboot && profile.netboot)
    await step(`payload netboots via boardkit DHCP+TFTP (windowsize ${request.windowsize ?? 16})`, () => runPayload(profile, { board: profile.id, kernel: out, netboot: true, windowsize: request.windowsize ?? 16 }, env, options), judgeRun);
  return { board: profile.id, ok: steps.every((s) => s.ok), steps };
}
