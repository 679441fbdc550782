import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BoardProfile } from '../boards/schema.js';
import { BoardkitError, UsageError } from '../core/errors.js';
import type { PayloadManifest } from './build-payload.js';

/**
 * The one reader of `payload.json`, the description `payload build` writes beside its outputs.
 * A payload is given as that directory or as one of its files; anything else (a foreign kernel,
 * a unikernel image) has no manifest and is booted as it is.
 */

export type PayloadFileKind = 'elf' | 'bin' | 'efi';

export interface PayloadDescription {
  /** The path as given. */
  path: string;
  isDirectory: boolean;
  /** The directory that holds (or would hold) payload.json. */
  dir: string;
  manifestPath: string;
  manifest?: PayloadManifest;
}

/** Whether a path is a `payload build` output: a directory with payload.json, or a file beside one. */
export function hasPayloadManifest(path: string): boolean {
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  return existsSync(join(dir, 'payload.json'));
}

/** Reads the payload at `path`: a usage error naming the file when it does not exist or its payload.json is unreadable. */
export async function describePayload(path: string, what = 'payload'): Promise<PayloadDescription> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new UsageError(`${what} '${path}' does not exist`, { hint: 'build the reference payload with `boardkit payload build -b BOARD -o DIR`, or give the path of your kernel/payload file' });
  const isDirectory = st.isDirectory();
  const dir = isDirectory ? path : dirname(path);
  const manifestPath = join(dir, 'payload.json');
  let manifest: PayloadManifest | undefined;
  const text = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    try {
      manifest = JSON.parse(text) as PayloadManifest;
    } catch (cause) {
      throw new BoardkitError('E_PAYLOAD_MANIFEST', 'input', `${manifestPath} is not valid JSON`, { cause, hint: 'rebuild it: `boardkit payload build`' });
    }
    if (manifest.schema !== 'boardkit.payload/v1' || typeof manifest.board !== 'string' || typeof manifest.files !== 'object' || manifest.files === null) {
      throw new BoardkitError('E_PAYLOAD_MANIFEST', 'input', `${manifestPath} is not a boardkit payload description (schema boardkit.payload/v1)`, { hint: 'rebuild it: `boardkit payload build`' });
    }
  } else if (isDirectory) {
    throw new UsageError(`${path} has no payload.json`, { hint: 'pass the payload file, or a directory written by `boardkit payload build`' });
  }
  return { path, isDirectory, dir, manifestPath, ...(manifest ? { manifest } : {}) };
}

/** The described payload must have been built for this board. */
export function checkPayloadBoard(p: PayloadDescription, profile: BoardProfile): void {
  if (p.manifest && p.manifest.board !== profile.id) {
    throw new UsageError(`${p.manifestPath} was built for '${p.manifest.board}', not '${profile.id}'`, { hint: `boardkit payload build --board ${profile.id}` });
  }
}

/**
 * The file to boot: the file given, or from a directory the manifest's file of the kind a loader
 * wants (`efi` when there is one; else `bin` for flat-image loaders, `elf` otherwise).
 */
export function payloadFile(p: PayloadDescription, want: 'flat' | 'elf'): { file: string; kind: PayloadFileKind } {
  if (!p.isDirectory) {
    const kind: PayloadFileKind = /\.efi$/i.test(p.path) ? 'efi' : p.path.endsWith('.elf') ? 'elf' : 'bin';
    return { file: p.path, kind };
  }
  const files = p.manifest!.files;
  const pick: PayloadFileKind = files.efi ? 'efi' : want === 'flat' ? 'bin' : 'elf';
  const f = files[pick];
  if (!f) throw new UsageError(`${p.manifestPath} lists no ${pick} file`, { hint: 'rebuild it: `boardkit payload build`' });
  return { file: join(p.dir, f.name), kind: pick };
}
