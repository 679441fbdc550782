import { DRIVER_KINDS, type DriverKind } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';

/**
 * The `--drivers` option of `payload build` and `run`: `--drivers uart,gpio` and `--drivers uart
 * gpio` both work; the kinds are the board schema's DRIVER_KINDS. The schema loads zod, so
 * commands import this inside their handler, never at the top (every CLI start would pay for it).
 */
export function parseDrivers(values: readonly string[] | undefined): DriverKind[] | undefined {
  if (!values) return undefined;
  const kinds = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const bad = kinds.filter((k) => !(DRIVER_KINDS as readonly string[]).includes(k));
  if (bad.length) throw new UsageError(`unknown driver kind(s): ${bad.join(', ')}`, { hint: `driver kinds: ${DRIVER_KINDS.join(', ')}` });
  return kinds as DriverKind[];
}
