import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { parseWholeNumber } from '../parse.js';
import { emit } from '../emit.js';
import { outputOption } from '../listing.js';

// `redeemctl audit`: flags, then src/lookup/audit.ts. docs/audit.md.

export function registerAuditCommand(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('audit')
    .description('the audit log, newest first: who changed what (cancel, codes void, redeem --mode direct, …), when, why and how much')
    .option('--since <when>', 'at or after: a duration ago (30m, 24h, 7d) or an ISO-8601 time')
    .option('--actor <name>', 'only rows by this actor (exact)')
    .option('--action <action>', 'only this action (exact: cancel, codes_void, redeem_direct, redeem_force, use, unuse, …)')
    .option('--limit <n>', 'at most this many rows, 1..10000', '50')
    .addOption(outputOption())
    .option('--json', 'one JSON document on stdout (short for --output json)');
  cli.action(command, async (ctx, options) => {
    const limit = parseWholeNumber('--limit', options.limit, 1, 10_000);
    const { parseInstant } = await import('../../shared/durations.js');
    const since = options.since === undefined ? null : parseInstant('--since', options.since);
    const { auditEntries } = await import('../../lookup/audit.js');
    const { done } = await import('../../shared/outcome.js');
    const { auditListing, renderAudit } = await import('./render/audit.js');
    const { db, merchantId } = await ctx.scope();
    const list = await auditEntries(db, { merchantId, since, actor: options.actor, action: options.action, limit });
    return emit(ctx, done(list), renderAudit, { listing: auditListing });
  });
}
