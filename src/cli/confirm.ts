import { createInterface } from 'node:readline';
import type { CliIO } from '../shared/io.js';
import { NotConfirmedError, OperatorAbortError, UsageError } from '../shared/errors.js';
import { watchInterrupt } from '../shared/signals.js';

/** What Ctrl-C at a prompt prints (exit 130). */
export const ABORTED = 'Aborted; nothing changed';
/** What any answer but yes prints (exit 1). */
export const NOT_CONFIRMED = 'Not confirmed; nothing changed';

/**
 * Asks on a TTY; without one, nothing waits for input: the command stops and names the flag that
 * confirms it (exit 2). On a TTY: y or yes goes ahead; any other answer (or end of input) is
 * NotConfirmedError (exit 1); Ctrl-C, or SIGINT / SIGTERM while it asks, is OperatorAbortError (exit 130).
 * Callers ask before they change anything (or inside a transaction they then roll back).
 */
export async function confirm(io: CliIO, question: string, flag: string): Promise<void> {
  // In a named context (docs/config.md) the question says which: REDEEMCTL_CONTEXT is set to the
  // context in use by src/cli/profile.ts, for every command that runs in one.
  const context = io.env.REDEEMCTL_CONTEXT;
  if (context) question = `[context ${context}] ${question}`;
  if (!io.stdin?.isTTY) {
    throw new UsageError(`${question} Not confirmed: stdin is not a terminal, so pass ${flag} to go ahead`, { hint: null });
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
  const interrupt = watchInterrupt();
  // A string typed and Enter; null for Ctrl-C or a signal; undefined for Ctrl-D (end of input).
  let answer: string | null | undefined;
  try {
    answer = await new Promise<string | null | undefined>((resolve) => {
      // In a terminal readline reads Ctrl-C as a key and emits SIGINT on itself, not on the process.
      rl.once('SIGINT', () => resolve(null));
      interrupt.signal.addEventListener('abort', () => resolve(null), { once: true });
      rl.once('close', () => resolve(undefined));
      rl.question(`${question} [y/N] `, resolve);
    });
  } finally {
    interrupt.dispose();
    rl.close();
  }
  // Without Enter the cursor is still on the prompt's line (written once the terminal is out of
  // raw mode: a newline written before that wiped the prompt's line in tmux).
  if (answer == null) io.stderr.write('\n');
  if (answer === null) throw new OperatorAbortError(ABORTED);
  if (!/^y(es)?$/i.test((answer ?? '').trim())) throw new NotConfirmedError(NOT_CONFIRMED);
}
