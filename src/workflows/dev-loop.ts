/**
 * `boardkit dev`: the developer loop. Boot the payload (a new emulated boot, or a netboot that
 * serves the current file), verify it, report one verdict; then wait for the payload to change and
 * do it again, until the signal aborts. A broken payload gives a failing verdict, never the end
 * of the loop; an interrupted boot stops everything it started (the run workflows' own finally
 * blocks), so Ctrl-C leaves nothing running.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveBoard, type BoardRef } from '../boards/plan.js';
import { BoardkitError, UsageError } from '../core/errors.js';
import type { ProgressSink } from '../core/progress.js';
import { hasPayloadManifest } from '../payload/payload-dir.js';
import { runNetboot, type NetbootEnvironment } from './netboot-run.js';
import { prepareOutputDir } from './output-paths.js';
import { runPayload } from './payload-run.js';
import { runBoard, type RunReport } from './run-board.js';

export interface DevRequest {
  board: string;
  /** A `payload build` directory, or any kernel/ELF/EFI file. */
  payload: string;
  mode: 'emulate' | 'netboot';
  /** Each iteration's run directory is made under this one. */
  outDir: string;
  /** Poll interval for changes (ms). Default 250. */
  pollMs?: number;
  /** Quiet time after the last change before booting (a build writing several files). Default 300. */
  debounceMs?: number;
  /** Stop after this many verdicts (tests); default: until aborted. */
  maxIterations?: number;
  timeoutMs?: number;
}

export interface DevVerdict {
  iteration: number;
  ok: boolean;
  /** Boot to verdict, ms. */
  durationMs: number;
  /** What failed: the stage and message, or the error that stopped this boot. */
  reason?: string;
  /** The boot could not be judged (infrastructure or a payload that cannot be booted at all). */
  error?: boolean;
  runDir: string;
  report?: RunReport;
}

/** A change stamp of the payload: every file's size and mtime (a build rewrites or renames them). */
async function fingerprint(path: string): Promise<string> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return 'missing';
  if (!st.isDirectory()) return `${st.size}:${st.mtimeMs}`;
  const names = (await readdir(path).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
  const parts = await Promise.all(names.map(async (n) => {
    const s = await stat(join(path, n)).catch(() => undefined);
    return s && s.isFile() ? `${n}=${s.size}:${s.mtimeMs}` : '';
  }));
  return parts.join(',');
}

export async function devLoop(
  board: BoardRef,
  request: DevRequest,
  env: NetbootEnvironment,
  options: { signal: AbortSignal; progress?: ProgressSink; onVerdict: (v: DevVerdict) => void },
): Promise<number> {
  const profile = resolveBoard(board, request.board);
  if (!profile.emulation) throw new UsageError(`'${profile.id}' cannot be emulated: the developer loop on a real board needs --lab, which runs on the lab host that owns it`, { hint: 'pick an emulated board (boards list, QEMU column)' });
  await prepareOutputDir(request.outDir, 'dev output directory');
  const poll = request.pollMs ?? 250;
  const debounce = request.debounceMs ?? 300;
  let iteration = 0;
  let seen = '';
  while (!options.signal.aborted) {
    // Wait for a payload that exists, then for it to settle (no change for `debounce` ms).
    let stamp = await fingerprint(request.payload);
    if (iteration > 0 || stamp === 'missing') {
      options.progress?.({ source: 'dev', type: 'log', message: stamp === 'missing' ? `waiting for ${request.payload}` : `watching ${request.payload}` });
      while (!options.signal.aborted && (stamp === seen || stamp === 'missing')) {
        await sleep(poll, undefined, { signal: options.signal }).catch(() => undefined);
        stamp = await fingerprint(request.payload);
      }
    }
    for (let quiet = 0; !options.signal.aborted && quiet < debounce; quiet += poll) {
      await sleep(poll, undefined, { signal: options.signal }).catch(() => undefined);
      const again = await fingerprint(request.payload);
      if (again !== stamp) {
        stamp = again;
        quiet = -poll;
      }
    }
    if (options.signal.aborted) break;
    seen = stamp;
    iteration++;
    const runDir = join(request.outDir, `boot-${String(iteration).padStart(3, '0')}`);
    await prepareOutputDir(runDir, 'dev run directory');
    const started = performance.now();
    const common = { board: profile.id, runDir, ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}) };
    const opts = { signal: options.signal, ...(options.progress ? { progress: options.progress } : {}) };
    try {
      let report: RunReport;
      if (hasPayloadManifest(request.payload)) report = await runPayload(profile, { ...common, kernel: request.payload, netboot: request.mode === 'netboot' }, env, opts);
      else if (request.mode === 'netboot') report = await runNetboot(profile, { ...common, kernel: request.payload }, env, opts);
      else report = await runBoard(profile, { ...common, mode: 'kernel', kernel: request.payload }, env, opts);
      if (options.signal.aborted) break;
      const f = report.boot.failure;
      const failedOracle = (report as { oracles?: Array<{ ok: boolean; driver: string; detail: string }> }).oracles?.find((o) => !o.ok);
      options.onVerdict({
        iteration,
        ok: report.ok,
        durationMs: Math.round(performance.now() - started),
        ...(report.ok ? {} : { reason: f ? `${f.stage}: ${f.message}` : failedOracle ? `${failedOracle.driver} oracle: ${failedOracle.detail}` : 'a check failed' }),
        runDir,
        report,
      });
    } catch (err) {
      if (options.signal.aborted) break;
      options.onVerdict({
        iteration,
        ok: false,
        error: !(err instanceof BoardkitError) || err.kind !== 'input',
        durationMs: Math.round(performance.now() - started),
        reason: err instanceof Error ? err.message : String(err),
        runDir,
      });
    }
    if (request.maxIterations !== undefined && iteration >= request.maxIterations) break;
  }
  return iteration;
}
