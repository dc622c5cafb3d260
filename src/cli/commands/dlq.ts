import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { settingsFrom, withKafkaOptions } from '../kafkaOptions.js';
import { emit } from '../emit.js';

// `redeemctl dlq list | redrive`: the dead-letter topic `<topic>.dlq` the worker writes. Flags,
// then src/ops/deadLetterList.ts or src/ops/redrive.ts.

function registerList(dlq: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withKafkaOptions(
    dlq
      .command('list')
      .description('the messages of <topic>.dlq up to its current end: why, where from, and whether redriven')
      .option('--limit <n>', 'show at most this many'),
  );
  cli.action(command, async (ctx, options) => {
    const settings = settingsFrom(options, ctx.io.env);
    const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000);
    const { listDeadLetters } = await import('../../ops/deadLetterList.js');
    const { renderDeadLetters } = await import('./render/events.js');
    return emit(ctx, await listDeadLetters(settings, ctx.io.env, limit), renderDeadLetters);
  });
}

function registerRedrive(dlq: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withKafkaOptions(
    dlq
      .command('redrive')
      .description('send dead letters back to their origin topic, byte for byte; a preview unless --execute')
      .option('--execute', 'send them, and move the redrive mark past them')
      .option('--offset <P:O>', 'only this DLQ message (repeat, or P:O,P:O; in order within a partition)', (value: string, previous: string[] = []) => [
        ...previous,
        value,
      ]),
  );
  cli.action(command, async (ctx, options, _args, self) => {
    const settings = settingsFrom(options, ctx.io.env);
    const { parseOffsets } = await import('../../ops/redriveSelection.js');
    const wanted = options.offset === undefined ? undefined : parseOffsets(options.offset);
    const { redriveDeadLetters } = await import('../../ops/redrive.js');
    const { sendsUntilStopped } = await import('../../ops/sendRun.js');
    const { commandLine } = await import('../commandLine.js');
    const { renderRedrive } = await import('./render/events.js');
    const request = { execute: options.execute ?? false, wanted };
    const outcome = await sendsUntilStopped(ctx.io, 'redrive', commandLine(self), (run) => redriveDeadLetters(settings, ctx.io.env, request, run));
    return emit(ctx, outcome, renderRedrive);
  });
}

export function registerDlqCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const dlq = program.command('dlq').description('inspect the dead-letter topic and send its messages back');
  registerList(dlq, cli);
  registerRedrive(dlq, cli);
}
