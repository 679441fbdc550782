/**
 * `hil run`: a run file's stages for each target, on emulated boards (QEMU from the profile) or
 * lab boards. Stages compose the same workflows the single commands use: `payload build` and
 * `image build` (build), `run`/`run --netboot` and the reference payload's host-side oracles
 * (deploy + boot), the lab inventory's power drivers (power). The results become JUnit, JSON and
 * a self-contained HTML report, written even when the run is interrupted (marked partial).
 *
 * A target's status: `passed`; `failed` (the board misbehaved: a marker missing, a failure
 * pattern, an oracle); `error` (the lab misbehaved: power, deploy, QEMU, console); `interrupted`
 * (stopped by SIGINT/SIGTERM); `not-run` (never started).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveBoard, type BoardRef } from '../boards/plan.js';
import type { DriverKind } from '../boards/schema.js';
import { AbortedError, anySignal } from '../core/abort.js';
import { BoardkitError, UsageError } from '../core/errors.js';
import { decodePpm } from '../core/ppm.js';
import { encodePng } from '../core/png.js';
import type { ProgressSink } from '../core/progress.js';
import { noProgress } from '../core/progress.js';
import { lockBoard } from '../hil/board-lock.js';
import { htmlReport } from '../hil/html-report.js';
import { junitXml } from '../hil/junit.js';
import { resolveTargets, type Lab, type ResolvedTarget } from '../hil/lab.js';
import { powerController, type PowerEnvironment } from '../hil/power.js';
import { runOutcome, type HilCase, type HilResult, type HilStageResult, type HilTargetResult, type StageStatus } from '../hil/result.js';
import { stagesOf, type RunFile, type RunTarget } from '../hil/run-file.js';
import { hasPayloadManifest } from '../payload/payload-dir.js';
import { buildImage, type ImageBuildEnv } from './image-build.js';
import type { NetbootEnvironment } from './netboot-run.js';
import { runNetboot } from './netboot-run.js';
import { prepareOutputDir } from './output-paths.js';
import { buildBoardPayload } from './payload-build.js';
import { runPayload, type PayloadRunReport } from './payload-run.js';
import { runBoard, type RunReport } from './run-board.js';
import { writeVerdict } from './run-dir.js';

export interface HilEnvironment extends NetbootEnvironment, PowerEnvironment {
  image?: ImageBuildEnv;
}

export interface HilRunOptions {
  /** Where the reports and each target's directory go (created). */
  reportDir: string;
  /** Targets run at once (default 1: each emulated board takes a core). */
  parallel?: number;
  /** Only targets with this tag, board or name. */
  only?: string;
  junitFile?: string;
  htmlFile?: string;
  jsonFile?: string;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Lock directory for per-board locks (default `<cacheDir>/locks`). */
  lockDir?: string;
  sourceDateEpoch?: number;
}

export interface HilRunOutputs {
  result: HilResult;
  junit: string;
  html: string;
  json: string;
}

/** Infrastructure (not the board): errors whose kind says the lab, the host or our machinery failed. */
function isInfrastructure(err: unknown): boolean {
  return err instanceof BoardkitError ? err.kind === 'infrastructure' || err.kind === 'environment' || err.kind === 'device' : true;
}

const now = () => performance.now();

/** The checks of a finished boot as test cases: each marker (reached, failed at, not reached), each check and oracle. */
function bootCases(report: RunReport, timeMs: number): HilCase[] {
  const cases: HilCase[] = [];
  const reached = new Map(report.boot.timeline.map((s) => [s.stage, s]));
  const failure = report.boot.failure;
  const excerpt = report.boot.tail.join('\n');
  let prev = 0;
  for (const stage of report.expectedStages ?? report.boot.timeline.map((s) => s.stage)) {
    const r = reached.get(stage);
    if (r) {
      cases.push({ name: `boot: marker ${stage}`, status: 'passed', timeMs: Math.max(0, r.atMs - prev) });
      prev = r.atMs;
    } else if (failure && failure.stage === stage) {
      cases.push({ name: `boot: marker ${stage}`, status: 'failed', timeMs: Math.max(0, failure.atMs - prev), message: failure.message, detail: `${failure.line ? `${failure.line}\n\n` : ''}${excerpt}` });
    } else {
      cases.push({ name: `boot: marker ${stage}`, status: 'skipped', timeMs: 0, message: failure ? `not reached: the boot failed at ${failure.stage}` : 'not reached' });
    }
  }
  const oracleChecks = new Set(((report as Partial<PayloadRunReport>).oracles ?? []).map((o) => `${o.driver} oracle (${o.oracle})`));
  for (const c of report.checks) {
    // The stage markers are listed one by one above, the oracles one by one below.
    if (c.name === 'stage markers' || oracleChecks.has(c.name)) continue;
    cases.push({ name: `check: ${c.name}`, status: c.status === 'passed' ? 'passed' : c.status === 'failed' ? 'failed' : 'skipped', timeMs: 0, message: c.detail, ...(c.status === 'failed' ? { detail: `${c.detail}\n\n${excerpt}` } : {}) });
  }
  const oracles = (report as Partial<PayloadRunReport>).oracles ?? [];
  for (const o of oracles) cases.push({ name: `oracle: ${o.driver} (${o.oracle})`, status: o.ok ? 'passed' : 'failed', timeMs: 0, message: o.detail });
  if (!cases.length) cases.push({ name: 'boot', status: report.ok ? 'passed' : 'failed', timeMs, message: failure?.message ?? '' });
  return cases;
}

async function screenshotsIn(dir: string): Promise<Array<{ file: string; png: Uint8Array }>> {
  const out: Array<{ file: string; png: Uint8Array }> = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (!name.endsWith('.ppm')) continue;
    try {
      const img = decodePpm(await readFile(join(dir, name)));
      const png = encodePng(img.width, img.height, img.rgb);
      const file = join(dir, name.replace(/\.ppm$/, '.png'));
      await writeFile(file, png);
      out.push({ file, png });
    } catch {
      /* a partial screendump of an interrupted run is not a screenshot */
    }
  }
  return out;
}

/** Runs one target's stages; never throws (the result says what happened). */
async function runTarget(
  registry: BoardRef,
  runFile: RunFile,
  target: ResolvedTarget<RunTarget>,
  env: HilEnvironment,
  dir: string,
  options: { progress: ProgressSink; signal: AbortSignal; lockDir: string; sourceDateEpoch: number },
): Promise<HilTargetResult> {
  const started = now();
  const profile = resolveBoard(registry, target.lab.board);
  const st = stagesOf(runFile, target.target);
  const stages: HilStageResult[] = [];
  const cases: HilCase[] = [];
  const result: HilTargetResult = {
    name: target.name,
    board: profile.id,
    labBoard: target.lab.name,
    emulated: target.lab.emulated,
    status: 'passed',
    stages,
    cases,
    timeline: [],
    screendumps: [],
    properties: {},
    attempts: 0,
    durationMs: 0,
  };
  const say = (stage: string, status: string, message: string) => options.progress({ source: 'hil', type: 'stage', message: `${target.name}: ${stage} ${message}`, data: { target: target.name, stage, status } });
  const runDirOf = (base: string) => resolve(dirname(runFile.file), base);
  const timeoutFor = (s: { timeout?: number } | undefined) => s?.timeout ?? runFile.timeouts.stage ?? runFile.timeouts.run;

  let payloadDir: string | undefined;
  let built: Awaited<ReturnType<typeof buildBoardPayload>> | undefined;
  let imageFile: string | undefined;
  let lastReport: RunReport | undefined;
  let current = '';
  let stageStart = 0;
  const begin = (kind: string) => {
    current = kind;
    stageStart = now();
    say(kind, 'running', 'started');
  };
  const end = (kind: string, status: StageStatus, detail: string) => {
    const durationMs = Math.round(now() - stageStart);
    stages.push({ kind, status, startMs: Math.round(stageStart - started), durationMs, detail });
    if (kind !== 'boot') cases.push({ name: `stage: ${kind}`, status: status === 'interrupted' ? 'skipped' : status, timeMs: durationMs, message: detail });
    say(kind, status, detail);
    current = '';
  };

  const lock = await lockBoard(options.lockDir, target.lab.name, { signal: options.signal, onWait: (pid) => say('lock', 'waiting', `waiting for board ${target.lab.name} (held by PID ${pid})`) }).catch((err: unknown) => err as Error);
  if (lock instanceof Error) {
    result.status = options.signal.aborted ? 'interrupted' : 'error';
    result.error = { message: lock.message };
    return result;
  }
  const power = powerController(target.lab.name, target.lab.power, env);
  try {
    if (!target.lab.emulated) {
      throw new UsageError(`${target.lab.name} is a lab board: running stages on real hardware needs its console and deploy method, which this host cannot reach here`, {
        hint: 'emulated boards run everywhere; real boards run on the lab host that owns them',
      });
    }
    if (st.build) {
      begin('build');
      if (st.build.payload === 'reference') {
        built = await buildBoardPayload(profile, { board: profile.id, outDir: join(dir, 'payload'), ...(st.build.drivers ? { drivers: st.build.drivers as DriverKind[] } : {}) }, env, { progress: options.progress, signal: options.signal });
        payloadDir = join(dir, 'payload');
        result.properties['payload-sha256'] = built.efi?.sha256 ?? built.bin?.sha256 ?? '';
      }
      if (st.build.image) {
        const payloadFile = built?.efi?.path ?? built?.bin?.path;
        if (!payloadFile) throw new UsageError(`${runFile.file}: build.image needs the reference payload (payload: reference)`);
        imageFile = join(dir, `${profile.id}.img`);
        await buildImage(profile, { board: profile.id, payload: payloadFile, output: imageFile, sourceDateEpoch: options.sourceDateEpoch }, options.progress, env.image ?? {});
      }
      end('build', 'passed', [payloadDir ? 'reference payload' : '', imageFile ? 'disk image' : ''].filter(Boolean).join(' and ') || 'nothing to build');
    }
    const deploy = st.deploy;
    if (deploy) {
      begin('deploy');
      if (!target.lab.deploy.includes(deploy.method)) throw new UsageError(`${target.lab.name} cannot be deployed by ${deploy.method} (it supports ${target.lab.deploy.join(', ')})`);
      if (deploy.method === 'flash' || deploy.method === 'usbboot') throw new UsageError(`deploy ${deploy.method} needs a lab board; ${target.lab.name} is emulated`, { hint: 'use deploy: emulate or netboot for emulated boards' });
      end('deploy', 'passed', deploy.method === 'netboot' ? "served by boardkit's DHCP+TFTP during the boot" : 'QEMU from the profile, started by the boot stage');
    }
    if (st.power) {
      begin('power');
      if (power.lifecycle) end('power', 'passed', `${st.power.action}: the QEMU process lifecycle (on when the boot starts, off after)`);
      else {
        const r = await power.apply(st.power.action, options.signal);
        end('power', 'passed', r.commands.join('; '));
      }
    }
    if (st.boot && deploy) {
      const boot = st.boot;
      const what = deploy.boot ?? (deploy.kernel ? 'kernel' : deploy.image ? 'image' : 'payload');
      const kernel = what === 'kernel' ? runDirOf(deploy.kernel!) : what === 'payload' ? payloadDir : undefined;
      const image = what === 'image' ? (deploy.image ? runDirOf(deploy.image) : imageFile) : undefined;
      const reference = kernel !== undefined && hasPayloadManifest(kernel);
      const verdict = {
        ...(boot.expect ? { expect: boot.expect } : {}),
        ...(boot.fail ? { fail: boot.fail } : {}),
        ...(boot['expect-set'] ? { expectSet: boot['expect-set'] } : {}),
        ...(boot.until ? { until: boot.until } : {}),
        ...(boot.settle !== undefined ? { settleMs: boot.settle } : {}),
        ...(runFile.timeouts.expect !== undefined && (boot.expect || boot['expect-set']) ? { expectTimeoutMs: runFile.timeouts.expect } : {}),
      };
      if (reference && Object.keys(verdict).length) throw new UsageError(`${runFile.file}: expect/fail/expect-set/until/settle are for other payloads; the reference payload's report and its host-side oracles decide`);
      const stageTimeout = timeoutFor(boot);
      for (let attempt = 0; attempt <= boot.retries; attempt++) {
        begin('boot');
        result.attempts = attempt + 1;
        const attemptDir = attempt === 0 ? dir : join(dir, `attempt-${attempt + 1}`);
        if (attempt > 0) await prepareOutputDir(attemptDir, 'attempt directory');
        const common = { board: profile.id, runDir: attemptDir, ...(stageTimeout ? { timeoutMs: stageTimeout } : {}) };
        const opts = { signal: options.signal, progress: options.progress };
        let report: RunReport;
        if (reference) report = await runPayload(profile, { ...common, kernel: kernel!, netboot: deploy.method === 'netboot' }, env, opts);
        else if (deploy.method === 'netboot') report = await runNetboot(profile, { ...common, ...verdict, kernel: kernel! }, env, opts);
        else report = await runBoard(profile, { ...common, ...verdict, mode: what === 'firmware-only' ? 'firmware-only' : what === 'image' ? 'image' : 'kernel', ...(kernel ? { kernel } : {}), ...(image ? { image } : {}) }, env, opts);
        lastReport = report;
        // A boot stopped by Ctrl-C is not a verdict on the board.
        if (options.signal.aborted) throw new AbortedError('the run was interrupted during the boot');
        const failure = report.boot.failure;
        end('boot', report.ok ? 'passed' : 'failed', report.ok ? `verified in ${(report.durationMs / 1000).toFixed(1)} s` : failure?.message ?? 'a host-side oracle disagreed');
        if (report.ok || attempt === boot.retries) break;
      }
      const report = lastReport!;
      cases.push(...bootCases(report, report.durationMs));
      result.timeline = report.boot.timeline;
      result.properties.accel = report.accel;
      if (report.boot.failure?.line) result.failingLine = report.boot.failure.line;
      if (!report.ok) result.status = 'failed';
    }
    if (st.collect) {
      begin('collect');
      const items = st.collect.items ?? ['console-log', 'screendumps', 'verdict'];
      const kept: string[] = [];
      if (items.includes('verdict') && lastReport) {
        await writeVerdict(lastReport.logFile ? dirname(lastReport.logFile) : dir, lastReport);
        kept.push('verdict.json');
      }
      if (items.includes('console-log') && lastReport?.logFile) kept.push(relative(dir, lastReport.logFile));
      if (items.includes('screendumps')) kept.push(...(await screenshotsIn(lastReport?.logFile ? dirname(lastReport.logFile) : dir)).map((s) => relative(dir, s.file)));
      end('collect', 'passed', kept.length ? `kept ${kept.join(', ')}` : 'nothing to keep');
    }
  } catch (err) {
    const interrupted = options.signal.aborted || err instanceof AbortedError;
    const status: StageStatus = interrupted ? 'interrupted' : isInfrastructure(err) ? 'error' : 'failed';
    const message = err instanceof Error ? err.message : String(err);
    if (current) {
      end(current, status, message);
      if (current === 'boot' || status === 'interrupted') cases.push({ name: `stage: ${current || 'boot'}`, status: status === 'interrupted' ? 'skipped' : status === 'error' ? 'error' : 'failed', timeMs: 0, message });
    }
    result.status = interrupted ? 'interrupted' : status === 'error' ? 'error' : 'failed';
    result.error = { message, ...(err instanceof BoardkitError && err.hint ? { hint: err.hint } : {}) };
  } finally {
    if (!power.lifecycle && st.power && !runFile['keep-alive'] && result.status !== 'interrupted') {
      await power.apply('off').catch(() => undefined);
    }
    await lock.release();
  }
  // Stages that never ran are listed, so a report shows what the run did not get to.
  for (const s of runFile.stages) {
    if (!stages.some((x) => x.kind === s.kind)) {
      const why = result.status === 'interrupted' ? 'not run: the run was interrupted' : 'not run: an earlier stage did not pass';
      stages.push({ kind: s.kind, status: 'skipped', startMs: Math.round(now() - started), durationMs: 0, detail: why });
      cases.push({ name: `stage: ${s.kind}`, status: 'skipped', timeMs: 0, message: why });
    }
  }
  const log = lastReport?.logFile ?? join(dir, 'console.log');
  const text = await readFile(log, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    result.consoleLog = log;
    result.consoleExcerpt = text.replace(/\r/g, '').split('\n').slice(-40).join('\n');
  }
  const shotsDir = lastReport?.logFile ? dirname(lastReport.logFile) : dir;
  result.screendumps = st.collect && !(st.collect.items ?? ['screendumps']).includes('screendumps') ? [] : (await screenshotsIn(shotsDir)).map((s) => s.file);
  result.durationMs = Math.round(now() - started);
  return result;
}

/** Runs a validated run file against a lab; writes JUnit, JSON and HTML reports; returns the result. */
export async function runHil(registry: BoardRef, runFile: RunFile, lab: Lab, env: HilEnvironment, options: HilRunOptions): Promise<HilRunOutputs> {
  const progress = options.progress ?? noProgress;
  const targets = resolveTargets(runFile.targets, lab, options.only !== undefined ? { only: options.only } : {});
  if (!targets.length) throw new UsageError(`no target of ${runFile.file} matches --only ${options.only}`, { hint: 'name a tag, board or target name the run file has' });
  for (const t of targets) resolveBoard(registry, t.lab.board);
  const reportDir = resolve(options.reportDir);
  await prepareOutputDir(reportDir, 'report directory');
  const startedAt = new Date();
  const started = now();
  const signal = anySignal(options.signal);
  const runCap = runFile.timeouts.run !== undefined ? AbortSignal.timeout(runFile.timeouts.run) : undefined;
  const runSignal = anySignal(signal, runCap);
  const results: Array<HilTargetResult | undefined> = targets.map(() => undefined);
  const parallel = Math.max(1, options.parallel ?? 1);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= targets.length) return;
      const t = targets[i]!;
      if (runSignal.aborted) continue;
      const dir = join(reportDir, t.name);
      await prepareOutputDir(dir, 'target directory');
      results[i] = await runTarget(registry, runFile, t, env, dir, { progress, signal: runSignal, lockDir: options.lockDir ?? join(env.cacheDir, 'locks'), sourceDateEpoch: options.sourceDateEpoch ?? 0 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, targets.length) }, worker));
  const interrupted = signal.aborted;
  const timedOut = !interrupted && runCap?.aborted === true;
  const finished: HilTargetResult[] = targets.map(
    (t, i) =>
      results[i] ?? {
        name: t.name,
        board: t.lab.board,
        labBoard: t.lab.name,
        emulated: t.lab.emulated,
        status: interrupted ? 'interrupted' : timedOut ? 'error' : 'not-run',
        stages: [],
        cases: runFile.stages.map((s) => ({ name: `stage: ${s.kind}`, status: 'skipped' as const, timeMs: 0, message: interrupted ? 'not run: the run was interrupted' : timedOut ? 'not run: the run timeout passed' : 'not run' })),
        timeline: [],
        screendumps: [],
        properties: { interrupted: String(interrupted) },
        attempts: 0,
        durationMs: 0,
      },
  );
  for (const t of finished) if (timedOut && t.status === 'interrupted') t.status = 'error';
  const partial = { interrupted, targets: finished };
  const result: HilResult = {
    format: 'boardkit-hil-result/1',
    run: runFile.name,
    file: runFile.file,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(now() - started),
    interrupted,
    targets: finished.map((t) => ({ ...t, consoleLog: t.consoleLog ? relative(reportDir, t.consoleLog) : undefined, screendumps: t.screendumps.map((s) => relative(reportDir, s)) })) as HilTargetResult[],
    ok: runOutcome(partial) === 'passed',
  };
  if (interrupted) for (const t of result.targets) t.properties.interrupted = String(t.status === 'interrupted' || t.status === 'not-run');
  const consoleText: Record<string, string> = {};
  const screenshots: Record<string, Uint8Array[]> = {};
  for (const t of finished) {
    if (t.consoleLog) consoleText[t.name] = await readFile(t.consoleLog, 'utf8').catch(() => '');
    screenshots[t.name] = await Promise.all(t.screendumps.map((s) => readFile(s)));
  }
  const junit = options.junitFile ? resolve(options.junitFile) : join(reportDir, 'junit.xml');
  const html = options.htmlFile ? resolve(options.htmlFile) : join(reportDir, 'report.html');
  const json = options.jsonFile ? resolve(options.jsonFile) : join(reportDir, 'result.json');
  await writeFile(junit, junitXml(result));
  await writeFile(html, htmlReport(result, { consoleText, screenshots }));
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  return { result, junit, html, json };
}

