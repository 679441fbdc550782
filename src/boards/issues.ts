import { BoardkitError } from '../core/errors.js';

/** One finding of profile validation, located in a file. Lines and columns are 1-based. */
export interface ProfileIssue {
  file: string;
  line: number;
  col: number;
  /** The named rule (see `RULES` in rules.ts, and the structural rules). */
  rule: string;
  message: string;
  /** Dotted path inside the profile, for tools. */
  path: string;
}

export function formatIssue(issue: ProfileIssue): string {
  return `${issue.file}:${issue.line}:${issue.col} ${issue.rule} ${issue.message}`;
}

export function sortIssues(issues: ProfileIssue[]): ProfileIssue[] {
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

/** Thrown when profiles are invalid; carries every issue (never just the first). */
export class ProfileValidationError extends BoardkitError {
  readonly issues: ProfileIssue[];
  constructor(issues: ProfileIssue[]) {
    const n = issues.length;
    super(
      'E_PROFILE_INVALID',
      'input',
      `${n} problem${n === 1 ? '' : 's'} in board profiles:\n${issues.map(formatIssue).join('\n')}`,
      {
        hint: 'fix each line above (file:line:col rule message); `boardkit boards validate FILE` re-checks, and boards/board.schema.json gives editors completion',
        details: { issues },
      },
    );
    this.issues = issues;
  }
}

export class UnknownBoardError extends BoardkitError {
  constructor(id: string, known: string[]) {
    super('E_UNKNOWN_BOARD', 'usage', `no board profile with id '${id}'`, {
      hint: `known boards: ${known.join(', ')} (\`boardkit boards list\`; add your own with --boards-dir)`,
      details: { id, known },
    });
  }
}
