/**
 * The lab inventory (`lab.yaml`): which boards exist on this host, how their consoles are reached
 * (by a stable path such as /dev/serial/by-id/...), how they are powered, how images get onto
 * them, and their tags. Run files name boards and tags; only the inventory names devices, and
 * power commands come only from here (never from a run file).
 *
 * Without a lab file the inventory is the emulated lab: one QEMU board per emulatable profile,
 * powered by the QEMU process lifecycle.
 *
 * Rules: `schema`, `yaml-syntax`, `duplicate-name`, `unknown-board` (not a profile id),
 * `not-emulatable` (an emulated entry whose profile has no QEMU machine), `console-needed` (a real
 * board without a console port), `deploy-needs` (flash without a flash target).
 */
import { z } from 'zod';
import { parseYamlSource, type PathSegment } from '../boards/yaml-source.js';
import type { BoardProfile } from '../boards/schema.js';
import { BoardkitError } from '../core/errors.js';
import { formatIssue, sortIssues, type LocatedIssue } from '../core/located-issue.js';

const argv = z.array(z.string().min(1)).min(1);

const power = z.discriminatedUnion('driver', [
  /** The QEMU process lifecycle (emulated boards): on = start, off = stop. */
  z.strictObject({ driver: z.literal('qemu') }),
  /** Host commands as argv lists (never a shell string); cycle defaults to off, wait, on. */
  z.strictObject({ driver: z.literal('command'), on: argv, off: argv, cycle: argv.optional(), 'off-ms': z.number().int().min(0).max(60_000).default(2000) }),
  /** A relay on a GPIO line, through libgpiod's gpioset. */
  z.strictObject({ driver: z.literal('gpio-relay'), chip: z.string().min(1), line: z.number().int().min(0), 'active-low': z.boolean().default(false), 'off-ms': z.number().int().min(0).max(60_000).default(2000) }),
  /** USB hub port power, through uhubctl. */
  z.strictObject({ driver: z.literal('uhubctl'), hub: z.string().min(1), port: z.number().int().min(1), 'off-ms': z.number().int().min(0).max(60_000).default(2000) }),
  /** The person at the desk switches it, when asked. */
  z.strictObject({ driver: z.literal('manual') }),
]);

export const labSchema = z.strictObject({
  schema: z.literal('boardkit-lab/1'),
  boards: z
    .array(
      z.strictObject({
        /** This physical (or emulated) board's name, unique in the lab. */
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
        /** Its profile id. */
        board: z.string().min(1),
        tags: z.array(z.string().min(1)).default([]),
        /** Emulated: QEMU from the profile stands in for the board. */
        emulated: z.boolean().default(false),
        console: z.strictObject({ port: z.string().min(1), baud: z.number().int().positive().optional() }).optional(),
        power: power.optional(),
        /** Deploy methods this board supports (default: emulate and netboot for emulated boards). */
        deploy: z.array(z.enum(['emulate', 'netboot', 'flash', 'usbboot'])).optional(),
        flash: z.strictObject({ target: z.string().min(1), serial: z.string().min(1).optional() }).optional(),
      }),
    )
    .min(1),
});

export type LabFile = z.output<typeof labSchema>;
export type LabBoard = LabFile['boards'][number] & { deploy: Array<'emulate' | 'netboot' | 'flash' | 'usbboot'>; power: NonNullable<LabFile['boards'][number]['power']> };
export type PowerSpec = LabBoard['power'];

export interface Lab {
  file?: string;
  boards: LabBoard[];
}

export class LabValidationError extends BoardkitError {
  constructor(readonly issues: LocatedIssue[]) {
    const n = issues.length;
    super('E_LAB_INVALID', 'input', `${n} problem${n === 1 ? '' : 's'} in the lab inventory:\n${issues.map(formatIssue).join('\n')}`, {
      hint: 'fix each line above (file:line:col rule message); hil/examples/lab.yaml is an example',
      details: { issues },
    });
  }
}

/** Parses and validates a lab inventory against the known profiles. */
export function parseLab(file: string, text: string, profiles: ReadonlyMap<string, BoardProfile>): Lab {
  const src = parseYamlSource(file, text);
  const issues: LocatedIssue[] = src.syntaxErrors.map((e) => ({ file, line: e.line, col: e.col, rule: 'yaml-syntax', message: e.message, path: '' }));
  const at = (path: readonly PathSegment[], rule: string, message: string) => issues.push({ file, ...src.locate(path), rule, message, path: path.join('.') });
  if (issues.length) throw new LabValidationError(issues);
  const parsed = labSchema.safeParse(src.value);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      // An unknown key is shown where it is written, by name.
      if (i.code === 'unrecognized_keys') for (const k of i.keys) issues.push({ file, ...src.locate([...(i.path as PathSegment[]), k], { key: true }), rule: 'schema', message: `unknown key '${k}'`, path: [...i.path, k].join('.') });
      else at(i.path as PathSegment[], 'schema', i.message);
    }
    throw new LabValidationError(sortIssues(issues));
  }
  const names = new Set<string>();
  const boards: LabBoard[] = parsed.data.boards.map((b, i) => {
    if (names.has(b.name)) at(['boards', i, 'name'], 'duplicate-name', `'${b.name}' is already a board of this lab`);
    names.add(b.name);
    const profile = profiles.get(b.board);
    if (!profile) at(['boards', i, 'board'], 'unknown-board', `'${b.board}' is not a board profile (known: ${[...profiles.keys()].join(', ')})`);
    if (b.emulated && profile && !profile.emulation) at(['boards', i, 'emulated'], 'not-emulatable', `'${b.board}' has no QEMU machine in its profile`);
    if (!b.emulated && !b.console) at(['boards', i], 'console-needed', 'a real board needs `console: { port: /dev/serial/by-id/... }` to be verified');
    const deploy = b.deploy ?? (b.emulated ? ['emulate', 'netboot'] : ['netboot']);
    if (deploy.includes('flash') && !b.flash) at(['boards', i, 'deploy'], 'deploy-needs', 'flash needs `flash: { target: /dev/disk/by-id/... }`');
    return { ...b, deploy, power: b.power ?? (b.emulated ? { driver: 'qemu' as const } : { driver: 'manual' as const }) };
  });
  if (issues.length) throw new LabValidationError(sortIssues(issues));
  return { file, boards };
}

/** The lab without a file: each emulatable profile as one emulated board named after it. */
export function emulatedLab(profiles: ReadonlyMap<string, BoardProfile>): Lab {
  return {
    boards: [...profiles.values()]
      .filter((p) => p.emulation)
      .map((p) => ({ name: p.id, board: p.id, tags: ['emulated'], emulated: true, deploy: ['emulate', 'netboot'], power: { driver: 'qemu' } })),
  };
}

export interface ResolvedTarget<T = { board?: string; tags?: string[]; name?: string }> {
  /** The name reports use. */
  name: string;
  lab: LabBoard;
  /** The run file's target entry. */
  target: T;
}

export class TargetResolutionError extends BoardkitError {
  constructor(message: string, hint: string) {
    super('E_TARGET_UNRESOLVED', 'usage', message, { hint });
  }
}

/**
 * Each run-file target → one lab board: by board id and/or tags (all of them). A target no lab
 * board satisfies is an error before anything starts; two targets never get the same board.
 */
export function resolveTargets<T extends { board?: string; tags?: string[]; name?: string }>(targets: readonly T[], lab: Lab, options: { only?: string } = {}): Array<ResolvedTarget<T>> {
  const taken = new Set<string>();
  const out: Array<ResolvedTarget<T>> = [];
  for (const t of targets) {
    if (options.only && !(t.tags ?? []).includes(options.only) && t.board !== options.only && t.name !== options.only) continue;
    const fits = lab.boards.filter((b) => (t.board === undefined || b.board === t.board) && (t.tags ?? []).every((tag) => b.tags.includes(tag)));
    const free = fits.find((b) => !taken.has(b.name));
    const what = [t.board ? `board ${t.board}` : '', t.tags ? `tags ${t.tags.join(', ')}` : ''].filter(Boolean).join(' with ');
    if (!free) {
      throw new TargetResolutionError(
        fits.length ? `every lab board with ${what} is already a target of this run` : `no board in the ${lab.file ? `lab '${lab.file}'` : 'emulated lab'} has ${what}`,
        lab.file ? 'add such a board to the lab inventory, or change the target' : 'emulated targets are the boards with a QEMU column in `boardkit boards list`; give --lab FILE for real boards',
      );
    }
    taken.add(free.name);
    out.push({ name: t.name ?? (t.board && !lab.file ? t.board : free.name), lab: free, target: t });
  }
  return out;
}
