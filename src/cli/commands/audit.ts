import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { emit } from '../emit.js';

// `redeemctl audit`: the audit log, newest first: who changed what, when and why (operator
// commands, staff redeems, cancels, imports, voids, batches). docs/operations.md, "The audit log".

export function registerAuditCommand(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('audit')
    .description("the audit log, newest first: the merchant's rows and the topic-wide ones (rewind, redrive)")
    .option('--since <when>', 'at or after: a duration ago (30m, 24h, 7d) or an ISO-8601 time')
    .option('--actor <name>', 'only what this actor did')
    .option('--action <action>', 'only this action (events_inject, events_replay, events_rewind, dlq_redrive, codes_import, codes_void, batch_run, cancel, …)')
    .option('--limit <n>', 'at most this many rows, 1..10000', '100')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, options) => {
    const limit = parseWholeNumber('--limit', options.limit, 1, 10_000);
    const { parseSince } = await import('../../shared/durations.js');
    const since = options.since === undefined ? undefined : parseSince('--since', options.since);
    const { listAudit } = await import('../../db/audit.js');
    const { renderAudit } = await import('./render/audit.js');
    const { db, merchantId } = await ctx.scope();
    const rows = await listAudit(db, { merchantId, since, actor: options.actor, action: options.action, limit });
    const result = { since: since?.toISOString() ?? null, actor: options.actor ?? null, action: options.action ?? null, count: rows.length, rows };
    return emit(ctx, { exitCode: 0, result }, renderAudit);
  });
}
