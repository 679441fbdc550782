import { resolve } from 'node:path';
import { listProfileFiles, loadBoards, loadProfileFiles, type LoadResult } from '../boards/loader.js';
import type { BoardRegistry } from '../boards/registry.js';

export interface BoardSources {
  /** Built-in profiles first, then the user's. */
  boardDirs: readonly string[];
  /** Ids of every known firmware artefact (enables the artifact-not-in-manifest rule). */
  knownArtifacts?: ReadonlySet<string>;
  /** Show file paths relative to this directory in issues. */
  relativeTo?: string;
}

/** All profiles of the directories, validated; throws ProfileValidationError with every issue. */
export async function loadBoardRegistry(src: BoardSources): Promise<BoardRegistry> {
  return loadBoards(src.boardDirs, { knownArtifacts: src.knownArtifacts, relativeTo: src.relativeTo });
}

/**
 * Validates the given files together with the profiles of the directories (so `extends` and
 * duplicate ids resolve), reporting issues of the given files and of the profiles they extend.
 */
export async function validateBoardFiles(files: readonly string[], src: BoardSources): Promise<LoadResult & { checked: string[] }> {
  const absolute = files.map((f) => resolve(f));
  const fromDirs = await listProfileFiles(src.boardDirs);
  const all = [...fromDirs.filter((f) => !absolute.includes(resolve(f))), ...absolute];
  const result = await loadProfileFiles(all, { knownArtifacts: src.knownArtifacts, relativeTo: src.relativeTo });
  return { ...result, checked: absolute };
}
