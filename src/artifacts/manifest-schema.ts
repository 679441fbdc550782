import { z } from 'zod';

/**
 * Firmware manifest schema (firmware-manifests/*.yaml). Strict: unknown keys are rejected at
 * every level so a typo (`sha265:`) is an error, not a silently missing digest.
 */

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const ARTIFACT_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * `deb:PACKAGE[:ARCH]:/ABSOLUTE/PATH` — a file inside a Debian binary package (Debian Policy §5.6.1
 * package-name characters; the path is the one `dpkg-deb -x` produces).
 * `url:https://...` — a direct download. `user-supplied` — imported by the user (`obtain` says how).
 */
const DEB_SOURCE = /^deb:([a-z0-9][a-z0-9+.-]+)(?::([a-z0-9][a-z0-9-]*))?:(\/[^\s:]+)$/;
const URL_SOURCE = /^url:(https?:\/\/\S+)$/;

export type ArtifactSource =
  | { readonly kind: 'deb'; readonly package: string; readonly arch: string | undefined; readonly path: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'user-supplied' };

export function parseSource(text: string): ArtifactSource | undefined {
  if (text === 'user-supplied') return { kind: 'user-supplied' };
  const deb = DEB_SOURCE.exec(text);
  if (deb) return { kind: 'deb', package: deb[1]!, arch: deb[2], path: deb[3]! };
  const url = URL_SOURCE.exec(text);
  if (url) return { kind: 'url', url: url[1]! };
  return undefined;
}

export function formatSource(source: ArtifactSource): string {
  switch (source.kind) {
    case 'deb':
      return `deb:${source.package}${source.arch ? `:${source.arch}` : ''}:${source.path}`;
    case 'url':
      return `url:${source.url}`;
    case 'user-supplied':
      return 'user-supplied';
  }
}

const sourceSchema = z.string().refine((s) => parseSource(s) !== undefined, {
  message: "source must be 'deb:PACKAGE[:ARCH]:/PATH', 'url:https://...' or 'user-supplied'",
});

export const artifactEntrySchema = z.strictObject({
  id: z.string().regex(ARTIFACT_ID_PATTERN, { message: 'id must be kebab-case (a-z, 0-9, single hyphens)' }),
  description: z.string().min(1),
  /** Debian package version for deb sources; the upstream release for others. */
  version: z.string().min(1),
  size: z.union([z.number().int().positive(), z.literal('unknown')], {
    message: "size must be a positive integer (bytes) or 'unknown'",
  }),
  sha256: z.union([z.string().regex(SHA256_PATTERN), z.literal('unknown')], {
    message: "sha256 must be 64 lowercase hex digits or 'unknown'",
  }),
  /** SPDX expression, or LicenseRef-* for proprietary terms. */
  licence: z.string().min(1),
  /** May boardkit place it in an image the user distributes? */
  redistributable: z.boolean(),
  source: sourceSchema,
  /** Name in the cache (and the default name in images); required for user-supplied artefacts. */
  filename: z
    .string()
    .regex(/^[A-Za-z0-9._+-]+$/, { message: 'filename must be a plain file name (no directories)' })
    .optional(),
  /** Where a user-supplied artefact comes from and how to import it. */
  obtain: z.string().min(1).optional(),
});

export const manifestFileSchema = z.strictObject({
  artifacts: z.array(artifactEntrySchema).min(1),
});

export type ArtifactEntryInput = z.infer<typeof artifactEntrySchema>;

/** A validated manifest entry, with its parsed source and where it was declared. */
export interface ArtifactEntry {
  readonly id: string;
  readonly description: string;
  readonly version: string;
  readonly size: number | 'unknown';
  readonly sha256: string | 'unknown';
  readonly licence: string;
  readonly redistributable: boolean;
  readonly source: ArtifactSource;
  readonly filename: string;
  readonly obtain: string | undefined;
  /** `file:line:col` of the entry, for messages. */
  readonly declaredAt: string;
}
