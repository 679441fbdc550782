/**
 * The Debian package list shared with CI: `.ci/debian-packages.txt` (one place; also read by
 * `.ci/install-deps.sh`). Each line: `package capability [tool]`; `#` starts a comment.
 */
export interface PackageSpec {
  readonly package: string;
  readonly capability: string;
  /** A command the package provides, probed on PATH; absent: the package itself is checked with dpkg. */
  readonly tool: string | undefined;
}

export function parsePackageList(text: string): PackageSpec[] {
  const specs: PackageSpec[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [pkg, capability, tool] = line.split(/\s+/);
    if (!pkg || !capability) throw new Error(`bad package list line: '${raw}' (want: package capability [tool])`);
    specs.push({ package: pkg, capability, tool });
  }
  return specs;
}

/** Path of the list relative to the package root. */
export const PACKAGE_LIST_PATH = '.ci/debian-packages.txt';
