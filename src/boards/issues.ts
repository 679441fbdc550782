import { BoardkitError } from '../core/errors.js';
import { formatIssue, sortIssues, type LocatedIssue } from '../core/located-issue.js';

/** One finding of profile validation (rules: `RULES` in rules.ts, and the structural ones). */
export type ProfileIssue = LocatedIssue;
export { formatIssue, sortIssues };

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
