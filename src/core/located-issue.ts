/**
 * A finding in a file the user wrote (a board profile, a firmware manifest), located precisely so
 * an editor can jump to it. Lines and columns are 1-based.
 */
export interface LocatedIssue {
  file: string;
  line: number;
  col: number;
  /** The named rule that found it (each validator documents its rules). */
  rule: string;
  message: string;
  /** Dotted path inside the document, for tools. */
  path: string;
}

/** `file:line:col rule message`, the form every validator reports in. */
export function formatIssue(issue: LocatedIssue): string {
  return `${issue.file}:${issue.line}:${issue.col} ${issue.rule} ${issue.message}`;
}

/** File, line, column order; the same finding reached twice (e.g. through `extends`) once. */
export function sortIssues<T extends LocatedIssue>(issues: readonly T[]): T[] {
  const seen = new Set<string>();
  return issues
    .filter((i) => {
      const key = formatIssue(i);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.rule.localeCompare(b.rule));
}
