import { OperatorAbortError } from '../shared/errors.js';
import { formatCount } from '../shared/format.js';
import type { CliIO } from '../shared/io.js';
import { Progress } from '../shared/progress.js';
import { signalName, watchInterrupt } from '../shared/signals.js';

// The send loops of `events replay` and `dlq redrive`, for an operator: a progress bar of messages
// sent against the planned total on stderr, and Ctrl-C or SIGTERM stopping between two sends
// (docs/operations.md, "Stopping a replay or a redrive"). The message says how many went out and
// why running the same command again is safe; exit 130. A second signal stops at once.

/** What a send loop is given: where to report, and when to stop. */
export interface SendRun {
  /** After each acknowledged send: `sent` of `total` messages are out. */
  onSent(sent: number, total: number): void;
  /** Aborted by the first SIGINT or SIGTERM: no further send starts. */
  signal?: AbortSignal;
}

/** A send loop stopped by a signal: `sent` of `total` went out; `left` names what did not (redrive: P:O). */
export class SendsInterruptedError extends OperatorAbortError {
  constructor(
    readonly signalName: string,
    readonly sent: number,
    readonly total: number,
    readonly left: string[] = [],
  ) {
    super(`Interrupted by ${signalName} after ${sent} of ${total} sends`);
  }
}

/** Throws SendsInterruptedError when `run`'s signal has fired: call it before each send. */
export function checkSendRun(run: SendRun | undefined, sent: number, total: number, left: () => string[] = () => []): void {
  if (run?.signal?.aborted) throw new SendsInterruptedError(signalName(run.signal), sent, total, left());
}

export type SendKind = 'replay' | 'redrive';

const LABEL: Record<SendKind, string> = { replay: 'publishing replays', redrive: 'redriving dead letters' };

/** Runs `work` with a progress bar and a clean stop on Ctrl-C; `again` is the command line to print. */
export async function sendsUntilStopped<T>(io: CliIO, kind: SendKind, again: string, work: (run: SendRun) => Promise<T>): Promise<T> {
  const progress = new Progress(io);
  const interrupt = watchInterrupt({
    onSecond: (signal) => {
      progress.done();
      io.stderr.write(`\n${signal} again: stopping now. ${HARD_STOP[kind]}\n  ${again}\n`);
    },
  });
  // Acted on at the next send: say so now, as a plan or a preview may still be reading.
  interrupt.signal.addEventListener('abort', () => {
    progress.done();
    io.stderr.write(`${signalName(interrupt.signal)}: stopping before the next send (again to stop at once)\n`);
  });
  const run: SendRun = { onSent: (sent, total) => progress.update({ label: LABEL[kind], done: sent, total }), signal: interrupt.signal };
  try {
    return await work(run);
  } catch (error) {
    throw error instanceof SendsInterruptedError ? new OperatorAbortError(stoppedMessage(kind, error, again)) : error;
  } finally {
    interrupt.dispose();
    progress.done();
  }
}

const HARD_STOP: Record<SendKind, string> = {
  replay: 'A replay already published may be published again by the next run, under the same id, which the engine answers with its first result. To go on:',
  redrive:
    'The dead letters sent since the last mark may be sent again by the next run (at least once; the engine answers a repeated event_id with its first result). To go on:',
};

/** How far it got and why the same command is safe to run again. */
export function stoppedMessage(kind: SendKind, error: SendsInterruptedError, again: string): string {
  const head = `Interrupted by ${error.signalName}`;
  if (kind === 'replay') {
    return (
      `${head}: ${formatCount(error.sent)} of ${formatCount(error.total)} replays published; the rest were not sent.\n` +
      'Running the same command again is safe: a replay the worker has not recorded yet is planned under the same id ' +
      '(a redelivery, answered with its first result), one that succeeded is skipped, so nothing is granted twice:\n' +
      `  ${again}`
    );
  }
  const sent = `${head}: ${formatCount(error.sent)} of ${formatCount(error.total)} dead letters sent back, and the redrive mark moved past them; the rest were not sent.`;
  if (error.left.length === 0 || !/\s--offset[\s=]/.test(again)) {
    return `${sent}\nRunning the same command again is safe: it starts at the mark, so it sends the rest and none of these twice:\n  ${again}`;
  }
  return `${sent}\nThe --offset messages not sent: ${error.left.join(',')}; redrive them with --offset ${error.left.join(',')} (the ones sent are below the mark now and would be refused).`;
}
