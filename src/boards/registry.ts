import { UnknownBoardError } from './issues.js';
import type { BoardProfile } from './schema.js';

export interface LoadedProfile {
  readonly profile: BoardProfile;
  /** The file the profile itself is written in. */
  readonly file: string;
  /** Ids along the extends chain, the profile first. */
  readonly chain: readonly string[];
}

/** An immutable set of validated profiles, built by the loader (no module-level state). */
export class BoardRegistry {
  private readonly byId: ReadonlyMap<string, LoadedProfile>;

  constructor(entries: Iterable<LoadedProfile>) {
    this.byId = new Map([...entries].map((e) => [e.profile.id, e]));
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }

  list(): LoadedProfile[] {
    return this.ids().map((id) => this.byId.get(id)!);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Throws UnknownBoardError (listing the known ids) when absent. */
  get(id: string): LoadedProfile {
    const e = this.byId.get(id);
    if (!e) throw new UnknownBoardError(id, this.ids());
    return e;
  }
}
