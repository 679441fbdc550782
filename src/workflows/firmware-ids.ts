/**
 * The set of artefact ids declared in firmware-manifests/ (for the artifact-not-in-manifest rule).
 * Placeholder until the artefacts module lands: reads ids without validating the manifests.
 */
export async function knownArtifactIds(_manifestDir: string): Promise<ReadonlySet<string> | undefined> {
  return undefined;
}
