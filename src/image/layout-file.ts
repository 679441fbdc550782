/**
 * A user's layout in YAML, validated as strictly as board profiles: unknown keys, wrong types and
 * semantic rules all reported at once, each as `file:line:col rule message`.
 *
 * Rules: `schema` (shape and types), `unknown-partition-type` (not a type byte for MBR, not a GUID
 * or alias for GPT), `too-many-partitions` (MBR holds 4), `fill-not-last`, `partition-misaligned`
 * (offset or size not a whole number of 512-byte sectors), `partitions-overlap` (explicit offsets).
 */
import { z } from 'zod';
import { parseYamlSource, type PathSegment } from '../boards/yaml-source.js';
import { BoardkitError } from '../core/errors.js';
import { formatIssue, sortIssues, type LocatedIssue } from '../core/located-issue.js';
import { resolveGptType } from '../protocols/gpt/index.js';
import type { ImageLayout } from './layouts.js';

const SIZE = /^(\d+)\s*(s|k|m|g|kib|mib|gib)?$/i;
const UNIT: Record<string, number> = { '': 1, s: 512, k: 1024, kib: 1024, m: 1 << 20, mib: 1 << 20, g: 1 << 30, gib: 1 << 30 };
/** `34s` (sectors), `17K`, `1M`, or a number of bytes. */
const size = z.union([z.number().int().nonnegative(), z.string().regex(SIZE, 'a size such as 34s, 64K, 32M or 1G')]).transform((v) => {
  if (typeof v === 'number') return v;
  const m = SIZE.exec(v)!;
  return Number(m[1]) * UNIT[(m[2] ?? '').toLowerCase()]!;
});

const source = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('payload') }),
  z.strictObject({ kind: z.literal('payload-uimage') }),
  z.strictObject({ kind: z.literal('uboot-script'), loads: z.string().min(1) }),
  z.strictObject({ kind: z.literal('extlinux'), kernel: z.string().min(1), append: z.string().optional() }),
  z.strictObject({ kind: z.literal('firmware-files') }),
  z.strictObject({ kind: z.literal('rpi-config-txt') }),
  z.strictObject({ kind: z.literal('rpi-kernel') }),
]);

const content = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fat'), fatType: z.union([z.literal(12), z.literal(16), z.literal(32), z.literal('auto')]).optional(), label: z.string().max(11).optional(), files: z.array(z.strictObject({ to: z.string(), from: source })) }),
  z.strictObject({ kind: z.literal('raw'), stage: z.string().min(1) }),
  z.strictObject({ kind: z.literal('empty') }),
]);

export const layoutFileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  description: z.string().default('user layout'),
  table: z.enum(['mbr', 'gpt']),
  align: size.default(1 << 20),
  partitions: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(36),
        type: z.string().min(1),
        bootable: z.boolean().optional(),
        offset: size.optional(),
        size: z.union([z.literal('fill'), size]),
        grow: z.boolean().optional(),
        content,
      }),
    )
    .min(1),
});

export class LayoutValidationError extends BoardkitError {
  constructor(readonly issues: LocatedIssue[]) {
    const n = issues.length;
    super('E_LAYOUT_INVALID', 'input', `${n} problem${n === 1 ? '' : 's'} in the image layout:\n${issues.map(formatIssue).join('\n')}`, {
      hint: 'fix each line above (file:line:col rule message); the built-in layouts in src/image/layouts.ts are examples',
      details: { issues },
    });
  }
}

/** Parses and validates a layout file; throws `LayoutValidationError` with every issue found. */
export function parseLayoutFile(file: string, text: string): ImageLayout {
  const src = parseYamlSource(file, text);
  const issues: LocatedIssue[] = src.syntaxErrors.map((e) => ({ file, line: e.line, col: e.col, rule: 'yaml-syntax', message: e.message, path: '' }));
  const at = (path: readonly PathSegment[], rule: string, message: string) => issues.push({ file, ...src.locate(path), rule, message, path: path.join('.') });
  if (issues.length) throw new LayoutValidationError(issues);
  const parsed = layoutFileSchema.safeParse(src.value);
  if (!parsed.success) {
    for (const i of parsed.error.issues) at(i.path as PathSegment[], 'schema', i.message);
    throw new LayoutValidationError(sortIssues(issues));
  }
  const l = parsed.data;
  if (l.table === 'mbr' && l.partitions.length > 4) at(['partitions', 4], 'too-many-partitions', `an MBR holds 4 primary partitions; this layout has ${l.partitions.length}`);
  let prevEnd = -1;
  let prevName = '';
  l.partitions.forEach((p, i) => {
    const ok = l.table === 'gpt' ? resolveGptType(p.type) !== undefined : /^0x[0-9a-f]{1,2}$/i.test(p.type);
    if (!ok) at(['partitions', i, 'type'], 'unknown-partition-type', l.table === 'gpt' ? `'${p.type}' is neither a GUID nor one of esp, linux, fat32, sifive-spl, sifive-uboot` : `'${p.type}' is not an MBR type byte such as 0x0c`);
    if (p.size === 'fill' && i !== l.partitions.length - 1) at(['partitions', i, 'size'], 'fill-not-last', 'only the last partition may fill the disk');
    if (p.offset !== undefined && p.offset % 512 !== 0) at(['partitions', i, 'offset'], 'partition-misaligned', `offset ${p.offset} is not a whole number of 512-byte sectors`);
    if (typeof p.size === 'number' && p.size % 512 !== 0) at(['partitions', i, 'size'], 'partition-misaligned', `size ${p.size} is not a whole number of 512-byte sectors`);
    if (p.offset !== undefined && p.offset < prevEnd) at(['partitions', i, 'offset'], 'partitions-overlap', `starts at byte ${p.offset}, inside '${prevName}' (which ends at ${prevEnd})`);
    prevEnd = p.offset !== undefined && typeof p.size === 'number' ? p.offset + p.size : prevEnd;
    prevName = p.name;
  });
  if (issues.length) throw new LayoutValidationError(sortIssues(issues));
  return l as ImageLayout;
}

/** The JSON Schema written to layouts/layout.schema.json (editors validate layout files with it). */
export function layoutJsonSchema(): Record<string, unknown> {
  return { ...(z.toJSONSchema(layoutFileSchema, { io: 'input' }) as Record<string, unknown>), $id: 'https://boardkit.dev/schema/layout.schema.json', title: 'boardkit image layout' };
}
