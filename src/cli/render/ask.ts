import { createInterface } from 'node:readline/promises';

/** Asks the person at the terminal and waits for Enter (manual power control). */
export async function askAtTerminal(question: string, signal?: AbortSignal): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    await rl.question(`${question} `, signal ? { signal } : {});
  } finally {
    rl.close();
  }
}
