import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheDir } from '../core/cache-dir.js';
import { stdOutput, type Output } from './output.js';

/** Options every command accepts (declared once in main.ts). */
export interface GlobalArgs {
  json?: boolean;
  'boards-dir'?: string[];
  'cache-dir'?: string;
  verbose?: boolean;
}

/** What a command handler needs: where things are, and how to speak. Built per invocation. */
export interface CliContext {
  readonly packageRoot: string;
  /** Built-in profiles first, then the user's `--boards-dir`s (later ones override nothing: ids must be unique). */
  readonly boardDirs: string[];
  readonly manifestDir: string;
  readonly cacheDir: string;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly output: Output;
}

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function makeContext(args: GlobalArgs, output: Output = stdOutput): CliContext {
  return {
    packageRoot: PACKAGE_ROOT,
    boardDirs: [join(PACKAGE_ROOT, 'boards'), ...(args['boards-dir'] ?? []).map((d) => resolve(d))],
    manifestDir: join(PACKAGE_ROOT, 'firmware-manifests'),
    cacheDir: args['cache-dir'] ? resolve(args['cache-dir']) : defaultCacheDir(),
    json: Boolean(args.json),
    verbose: Boolean(args.verbose),
    output,
  };
}
