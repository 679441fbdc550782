import { loadArtifactIds } from '../artifacts/manifest-loader.js';

/** The ids of every artefact in the manifests (for the board rule artifact-not-in-manifest). */
export async function knownArtifactIds(manifestDir: string): Promise<ReadonlySet<string>> {
  return loadArtifactIds(manifestDir);
}
