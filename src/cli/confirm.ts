import { createInterface } from 'node:readline/promises';
import type { CliIO } from './io.js';
import { UsageError } from '../engine/errors.js';

/**
 * Asks on a TTY; without one, nothing waits for input: the command stops and names the flag that
 * confirms it.
 */
export async function confirm(io: CliIO, question: string, flag: string): Promise<void> {
  if (!io.stdin?.isTTY) {
    throw new UsageError(`${question} Not confirmed: stdin is not a terminal, so pass ${flag} to go ahead`);
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('Not confirmed; nothing changed');
  } finally {
    rl.close();
  }
}
