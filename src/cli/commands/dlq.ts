import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { settingsFrom, withKafkaOptions } from '../kafkaOptions.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';
import { UsageError } from '../../shared/errors.js';
import { describeTarget, targeted } from '../target.js';
import { openAudit, operatorIntent, withOperatorOptions } from '../operatorAction.js';

// `redeemctl dlq list | redrive`: the dead-letter topic `<topic>.dlq` the worker writes. Flags,
// then src/ops/deadLetterList.ts or src/ops/redrive.ts.

function registerList(dlq: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withKafkaOptions(
    dlq
      .command('list')
      .description('the messages of <topic>.dlq up to its current end: why, where from, and whether redriven')
      .option('--limit <n>', 'show at most this many')
      .addOption(outputOption()),
  );
  cli.action(command, async (ctx, options) => {
    const settings = settingsFrom(options, ctx.io.env);
    const limit = options.limit === undefined ? undefined : parseWholeNumber('--limit', options.limit, 1, 1_000_000);
    const { listDeadLetters } = await import('../../ops/deadLetterList.js');
    const { deadLetterListing, renderDeadLetters } = await import('./render/events.js');
    return emit(ctx, await listDeadLetters(settings, ctx.io.env, limit), renderDeadLetters, { listing: deadLetterListing });
  });
}

function registerRedrive(dlq: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = withOperatorOptions(
    withKafkaOptions(
      dlq
        .command('redrive')
        .description('send dead letters back to the configured topic (or --to), byte for byte; a preview unless --execute')
        .option('--to <topic>', 'send every selected message to this topic (it must exist); default: the configured topic, skipping messages from another')
        .option('--offset <P:O>', 'only this DLQ message (repeat, or P:O,P:O; in order within a partition)', (value: string, previous: string[] = []) => [
          ...previous,
          value,
        ]),
    ),
    'send them, and move the redrive mark past them',
  );
  cli.action(command, async (ctx, options, _args, self) => {
    const settings = settingsFrom(options, ctx.io.env);
    const intent = operatorIntent(ctx, options);
    if (options.to !== undefined && options.to.trim() === '') throw new UsageError('--to needs a topic name');
    const { parseOffsets } = await import('../../ops/redriveSelection.js');
    const wanted = options.offset === undefined ? undefined : parseOffsets(options.offset);
    const { redriveDeadLetters } = await import('../../ops/redrive.js');
    const { sendsUntilStopped } = await import('../../ops/sendRun.js');
    const { commandLine } = await import('../commandLine.js');
    const { renderRedrive } = await import('./render/events.js');
    const audit = intent && (await openAudit(ctx, intent, false));
    const request = { execute: intent !== undefined, wanted, to: options.to, audit };
    const outcome = await sendsUntilStopped(ctx.io, 'redrive', commandLine(self), (run) => redriveDeadLetters(settings, ctx.io.env, request, run));
    return emit(ctx, targeted(outcome, describeTarget(ctx, { brokers: settings.brokers, topic: options.to ?? settings.topic })), renderRedrive);
  });
}

export function registerDlqCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const dlq = program.command('dlq').description('inspect the dead-letter topic and send its messages back');
  registerList(dlq, cli);
  registerRedrive(dlq, cli);
}
