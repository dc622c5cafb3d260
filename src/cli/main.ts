import { CommanderError, createProgram, type ProgramState } from './program.js';
import { processIO, type CliIO } from '../shared/io.js';
import { explainKafkaError, NotConfirmedError, OperatorAbortError, RedeemctlError } from '../shared/errors.js';
import { commandWords, errorHint, writeHint } from './hints.js';

/** Exit code for an unexpected failure (a bug or an unclassified server error), distinct from 0-3. */
export const EXIT_UNEXPECTED = 4;

/** Runs one command line; resolves to its exit code. Never calls process.exit. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const state: ProgramState = { exitCode: 0 };
  const program = createProgram(io, state);
  // The command that ran, for the hint under an error it throws (`run redeemctl codes import --help`).
  let command: string | undefined;
  program.hook('preAction', (_program, action) => void (command = commandWords(action)));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    return reportError(error, io, command);
  }
}

function reportError(error: unknown, io: CliIO, command: string | undefined): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; usage mistakes are exit 2 (docs/conventions.md).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return 2;
  }
  // Stopped by the operator, or not confirmed: what happened, not an error (exit 130 or 1).
  if (error instanceof OperatorAbortError || error instanceof NotConfirmedError) {
    io.stderr.write(`${error.message}\n`);
    return error.exitCode;
  }
  // Kafka not reachable is one line, even where a caller wrapped it in words of its own.
  error = explainKafkaError(error);
  if (error instanceof RedeemctlError) {
    io.stderr.write(`error: ${error.message}\n`);
    writeHint(io, errorHint(error, command));
    if (io.env.DEBUG && error.cause) io.stderr.write(`${String((error.cause as Error).stack ?? error.cause)}\n`);
    return error.exitCode;
  }
  const err = error as Error;
  io.stderr.write(`unexpected error: ${err?.message ?? String(error)}\n`);
  io.stderr.write(io.env.DEBUG ? `${err?.stack}\n` : 'set DEBUG=1 for the stack trace\n');
  return EXIT_UNEXPECTED;
}

export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2), processIO());
  process.exitCode = code;
}
