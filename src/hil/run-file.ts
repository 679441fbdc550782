/**
 * HIL run files (`hil/*.yaml`): one declarative file that runs the same on a desk and in CI.
 * A run file names boards or tags (never device paths: those are the lab inventory's), and the
 * stages each target goes through: build, deploy, power, boot, collect.
 *
 * Validated as strictly as board profiles: unknown keys, wrong types and the semantic rules below
 * are all reported at once, each as `file:line:col rule message`.
 *
 * Rules: `schema` (shape and types), `yaml-syntax`, `unbounded-pattern` (an expect/fail pattern
 * the console engine would refuse), `stage-order` (build, deploy, power, boot, collect: each at
 * most once, in that order), `boot-needs-deploy` (a boot stage without a deploy stage before it),
 * `deploy-needs-payload` (an emulate/netboot deploy of a kernel with neither a build stage nor a
 * kernel path), `timeout-order` (an expect timeout longer than the stage's, or a stage's longer
 * than the run's), `target-empty` (a target with neither board nor tags).
 */
import { z } from 'zod';
import { parseYamlSource, type PathSegment } from '../boards/yaml-source.js';
import { compilePattern } from '../console/bounded-pattern.js';
import { BoardkitError } from '../core/errors.js';
import { formatIssue, sortIssues, type LocatedIssue } from '../core/located-issue.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** `500ms`, `30s`, `10m`, `1h`, or a number of seconds; milliseconds after parsing. */
const duration = z.union([z.number().positive(), z.string().regex(DURATION, 'a duration such as 500ms, 30s, 10m or 1h')]).transform((v) => {
  if (typeof v === 'number') return Math.round(v * 1000);
  const m = DURATION.exec(v)!;
  return Math.round(Number(m[1]) * UNIT[m[2]!]!);
});

const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

const buildStage = z.strictObject({
  kind: z.literal('build'),
  /** The reference payload (built for each target board with its driver set), or none. */
  payload: z.literal('reference').optional(),
  /** Driver kinds for the reference payload (default: all the board supports). */
  drivers: z.array(z.string().min(1)).optional(),
  /** Also build a disk image of the payload (`image build`), for `deploy: emulate` from the image. */
  image: z.boolean().optional(),
  timeout: duration.optional(),
});

const deployStage = z.strictObject({
  kind: z.literal('deploy'),
  /** emulate: QEMU from the profile; netboot: our DHCP+TFTP; flash / usbboot: a lab board's medium. */
  method: z.enum(['emulate', 'netboot', 'flash', 'usbboot']),
  /** What to boot: the build stage's payload (default), a kernel/EFI path, the firmware chain alone, or the built image. */
  boot: z.enum(['payload', 'kernel', 'firmware-only', 'image']).optional(),
  /** A kernel, ELF or EFI application not built by this run (relative to the run file). */
  kernel: z.string().min(1).optional(),
  /** A disk image not built by this run (relative to the run file). */
  image: z.string().min(1).optional(),
  timeout: duration.optional(),
});

const powerStage = z.strictObject({
  kind: z.literal('power'),
  action: z.enum(['on', 'off', 'cycle']).default('cycle'),
  timeout: duration.optional(),
});

const bootStage = z.strictObject({
  kind: z.literal('boot'),
  /** Ordered lines (bounded regexes) the payload must print, after the firmware stages. */
  expect: z.array(z.string().min(1)).optional(),
  /** A built-in expectation set (boardkit-report, linux, none). */
  'expect-set': z.string().min(1).optional(),
  /** Lines that fail the boot whenever they appear. */
  fail: z.array(z.string().min(1)).optional(),
  /** A final line to wait for after the last marker, failure patterns armed until it. */
  until: z.string().min(1).optional(),
  /** Listen this long after the end with failure patterns armed. */
  settle: duration.optional(),
  /** Boot attempts after a failed one (deploy and boot again; infrastructure errors are not retried). */
  retries: z.number().int().min(0).max(5).default(0),
  timeout: duration.optional(),
});

const collectStage = z.strictObject({
  kind: z.literal('collect'),
  /** What to keep in each target's directory of the report (all by default). */
  items: z.array(z.enum(['console-log', 'screendumps', 'verdict'])).optional(),
});

const stage = z.discriminatedUnion('kind', [buildStage, deployStage, powerStage, bootStage, collectStage]);

export const runFileSchema = z.strictObject({
  schema: z.literal('boardkit-hil/1'),
  name: id,
  description: z.string().optional(),
  targets: z
    .array(
      z.strictObject({
        /** A board id (`boardkit boards list`). */
        board: z.string().min(1).optional(),
        /** Lab boards carrying all these tags (the lab inventory says which exist). */
        tags: z.array(z.string().min(1)).min(1).optional(),
        /** A name for this target in reports (default: the board id or the tags). */
        name: id.optional(),
        /** This target's own deploy settings, over the deploy stage's (e.g. a different kernel per board). */
        deploy: deployStage.omit({ kind: true, method: true }).partial().optional(),
        /** This target's own boot expectations, over the boot stage's. */
        boot: bootStage.omit({ kind: true }).partial().optional(),
      }),
    )
    .min(1),
  timeouts: z
    .strictObject({
      run: duration.optional(),
      stage: duration.optional(),
      expect: duration.optional(),
    })
    .default({}),
  /** Keep a booted board for the next run on it instead of powering it off (lab boards). */
  'keep-alive': z.boolean().default(false),
  stages: z.array(stage).min(1),
});

export type RunFile = z.output<typeof runFileSchema> & { file: string };
export type RunStage = RunFile['stages'][number];
export type BuildStage = z.output<typeof buildStage>;
export type DeployStage = z.output<typeof deployStage>;
export type PowerStage = z.output<typeof powerStage>;
export type BootStage = z.output<typeof bootStage>;
export type CollectStage = z.output<typeof collectStage>;

export const STAGE_ORDER = ['build', 'deploy', 'power', 'boot', 'collect'] as const;

export class RunFileValidationError extends BoardkitError {
  constructor(readonly issues: LocatedIssue[]) {
    const n = issues.length;
    super('E_RUN_FILE_INVALID', 'input', `${n} problem${n === 1 ? '' : 's'} in the run file:\n${issues.map(formatIssue).join('\n')}`, {
      hint: 'fix each line above (file:line:col rule message); hil/*.yaml in the repository are examples, and hil/run.schema.json lets an editor check as you type',
      details: { issues },
    });
  }
}

/** Parses and validates a run file; throws `RunFileValidationError` with every issue found. */
export function parseRunFile(file: string, text: string): RunFile {
  const src = parseYamlSource(file, text);
  const issues: LocatedIssue[] = src.syntaxErrors.map((e) => ({ file, line: e.line, col: e.col, rule: 'yaml-syntax', message: e.message, path: '' }));
  const at = (path: readonly PathSegment[], rule: string, message: string) => issues.push({ file, ...src.locate(path), rule, message, path: path.join('.') });
  if (issues.length) throw new RunFileValidationError(issues);
  const parsed = runFileSchema.safeParse(src.value);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      // An unknown key is shown where it is written, by name.
      if (i.code === 'unrecognized_keys') for (const k of i.keys) issues.push({ file, ...src.locate([...(i.path as PathSegment[]), k], { key: true }), rule: 'schema', message: `unknown key '${k}'`, path: [...i.path, k].join('.') });
      else at(i.path as PathSegment[], 'schema', i.message);
    }
    throw new RunFileValidationError(sortIssues(issues));
  }
  const r = parsed.data;
  r.targets.forEach((t, i) => {
    if (t.board === undefined && t.tags === undefined) at(['targets', i], 'target-empty', 'a target names a board, tags, or both');
  });
  let last = -1;
  const seen = new Set<string>();
  r.stages.forEach((s, i) => {
    const order = STAGE_ORDER.indexOf(s.kind);
    if (seen.has(s.kind)) at(['stages', i, 'kind'], 'stage-order', `a second '${s.kind}' stage: each stage kind appears at most once`);
    else if (order < last) at(['stages', i, 'kind'], 'stage-order', `'${s.kind}' after '${STAGE_ORDER[last]}': stages run in the order ${STAGE_ORDER.join(', ')}`);
    seen.add(s.kind);
    last = Math.max(last, order);
  });
  const bootIndex = r.stages.findIndex((s) => s.kind === 'boot');
  const deployIndex = r.stages.findIndex((s) => s.kind === 'deploy');
  if (bootIndex >= 0 && deployIndex < 0) at(['stages', bootIndex], 'boot-needs-deploy', 'a boot stage needs a deploy stage before it (emulate, netboot, flash or usbboot)');
  if (deployIndex >= 0) {
    const reported = new Set<string>();
    for (const [ti, target] of [[-1, undefined], ...r.targets.map((t, i) => [i, t] as const)] as Array<[number, RunTarget | undefined]>) {
      if (ti >= 0 && !target?.deploy) continue;
      const { deploy, build } = stagesOf(r, target);
      const where: PathSegment[] = ti >= 0 ? ['targets', ti, 'deploy'] : ['stages', deployIndex];
      const what = deploy!.boot ?? (deploy!.kernel ? 'kernel' : deploy!.image ? 'image' : 'payload');
      const problem = (rule: string, message: string) => {
        if (reported.has(message + where.join('.'))) return;
        reported.add(message + where.join('.'));
        at(where, rule, message);
      };
      // A run-wide problem every target overrides is not a problem of the file.
      if (ti < 0 && r.targets.every((t) => t.deploy)) continue;
      if (what === 'payload' && build?.payload !== 'reference') problem('deploy-needs-payload', 'deploy boots the built payload, but no build stage builds one: add `- kind: build` with `payload: reference`, or give `kernel:` or `boot: firmware-only`');
      if (what === 'kernel' && !deploy!.kernel) problem('deploy-needs-payload', '`boot: kernel` needs `kernel: PATH`');
      if (what === 'image' && !deploy!.image && !build?.image) problem('deploy-needs-payload', '`boot: image` needs `image: PATH` or a build stage with `image: true`');
      if (deploy!.method === 'netboot' && what !== 'payload' && what !== 'kernel') problem('deploy-needs-payload', 'netboot serves a payload or kernel, not an image or the firmware alone');
    }
  }
  const check = (pattern: string, path: PathSegment[]) => {
    try {
      compilePattern(pattern);
    } catch (err) {
      at(path, 'unbounded-pattern', `${err instanceof Error ? err.message : String(err)} (use bounded repeats such as {0,80})`);
    }
  };
  const checkBoot = (s: Partial<BootStage>, base: PathSegment[]) => {
    s.expect?.forEach((p, j) => check(p, [...base, 'expect', j]));
    s.fail?.forEach((p, j) => check(p, [...base, 'fail', j]));
    if (s.until) check(s.until, [...base, 'until']);
  };
  r.stages.forEach((s, i) => {
    if (s.kind === 'boot') checkBoot(s, ['stages', i]);
  });
  r.targets.forEach((t, i) => {
    if (t.boot) checkBoot(t.boot, ['targets', i, 'boot']);
  });
  const t = r.timeouts;
  if (t.expect !== undefined && t.stage !== undefined && t.expect > t.stage) at(['timeouts', 'expect'], 'timeout-order', `the expect timeout (${t.expect} ms) is longer than the stage timeout (${t.stage} ms)`);
  if (t.stage !== undefined && t.run !== undefined && t.stage > t.run) at(['timeouts', 'stage'], 'timeout-order', `the stage timeout (${t.stage} ms) is longer than the run timeout (${t.run} ms)`);
  r.stages.forEach((s, i) => {
    const st = 'timeout' in s ? s.timeout : undefined;
    if (st !== undefined && t.run !== undefined && st > t.run) at(['stages', i, 'timeout'], 'timeout-order', `this stage's timeout (${st} ms) is longer than the run timeout (${t.run} ms)`);
  });
  if (issues.length) throw new RunFileValidationError(sortIssues(issues));
  return { ...r, file };
}

/** The JSON Schema written to hil/run.schema.json (editors validate run files with it). */
export function runFileJsonSchema(): Record<string, unknown> {
  return { ...(z.toJSONSchema(runFileSchema, { io: 'input' }) as Record<string, unknown>), $id: 'https://boardkit.dev/schema/hil-run.schema.json', title: 'boardkit HIL run file' };
}

export type RunTarget = RunFile['targets'][number];

/** Stages of a run file by kind, with a target's own deploy and boot settings applied. */
export function stagesOf(r: Pick<RunFile, 'stages'>, target?: RunTarget): { build?: BuildStage; deploy?: DeployStage; power?: PowerStage; boot?: BootStage; collect?: CollectStage } {
  const out: Record<string, RunStage> = {};
  for (const s of r.stages) out[s.kind] = s;
  if (target?.deploy && out.deploy) out.deploy = { ...(out.deploy as DeployStage), ...target.deploy } as DeployStage;
  if (target?.boot && out.boot) out.boot = { ...(out.boot as BootStage), ...target.boot } as BootStage;
  return out as ReturnType<typeof stagesOf>;
}
