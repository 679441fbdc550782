/** One `--help` example: the command as typed, and what it does. */
export type HelpExample = readonly [command: string, what: string];

/**
 * Examples that can be copied and pasted, for yargs' `.example(rows)`: each is a `# what it does`
 * comment line, then the command on a line of its own (given a description, yargs squeezes the
 * command into half the width and wraps it mid-argument). A command too long for 80 columns is
 * written with `\` continuations. test/cli/help.test.ts renders every command's help at 80
 * columns and checks that no example line wraps.
 */
export function examples(list: readonly HelpExample[]): Array<[string, string]> {
  return list.flatMap(([command, what], i): Array<[string, string]> => [...(i > 0 ? [['', ''] as [string, string]] : []), [`# ${what}`, ''], [command, '']]);
}
