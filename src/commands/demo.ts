import type { Command } from 'commander';
import type { ProgramBuilder } from '../cli/program.js';
import { paint, table, writeJson, writeLine } from '../cli/output.js';
import { DEFAULT_FIXTURE } from './db.js';

/**
 * The whole story on whatever database is configured (the embedded one by default): migrate,
 * seed, the pricing worked example, patterns A, B and C, a refusal, a cancel with refund, a
 * replay. Event ids are fixed, so running the demo again shows the stored results and changes
 * nothing.
 */
export function registerDemoCommand(program: Command, cli: ProgramBuilder): void {
  program
    .command('demo')
    .description('migrate, seed the demo merchant and walk through redemptions, refusals and a cancel')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<{ json?: boolean }>(async (ctx, options) => {
        const { fileURLToPath } = await import('node:url');
        const { migrate } = await import('../db/migrations.js');
        const { readFixtureFile, seed } = await import('../seed/seed.js');
        const { redeem } = await import('../engine/redeem.js');
        const { quote } = await import('../engine/quote.js');
        const { cancel } = await import('../engine/afterRedemption.js');
        const { renderCancel, renderRedeem } = await import('../cli/render.js');
        const io = ctx.io;
        const say = (text: string) => {
          if (!options.json) writeLine(io, text);
        };
        const heading = (text: string) => say('\n' + paint(io, 'bold', `== ${text}`));

        const database = await ctx.rawDb();
        const applied = await migrate(database);
        const db = database.db;
        heading(`Database: ${database.backend} (${database.location})`);
        say(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Schema already current.');

        const summary = await seed(db, await readFixtureFile(fileURLToPath(DEFAULT_FIXTURE)));
        heading(`Seeded ${summary.merchant}: ${summary.users} members, ${summary.rewards} rewards`);
        const merchantId = summary.merchantId;
        const user = (email: string) => summary.userIds[email]!;
        const reward = (code: string) => summary.rewardIds[code]!;
        const actor = ctx.actor();

        heading('Pricing: COFFEE-VOUCHER per member (tier beats persona beats tag; fallback 120)');
        const pricing: Array<[string, number | null | undefined]> = [];
        for (const email of ['gold.student.vip@example.com', 'student.vip@example.com', 'vip@example.com', 'newbie@example.com']) {
          const q = await quote(db, { merchantId, userId: user(email), rewardId: reward('COFFEE-VOUCHER') });
          pricing.push([email, q.points_per_unit]);
        }
        say(table(io, ['member', 'points per unit'], pricing));

        const steps: Array<{ title: string; request: Parameters<typeof redeem>[1] }> = [
          {
            title: 'Pattern A: 3 mugs, no pool: one ledger row of qty 3 with the shared promo code',
            request: { merchantId, userId: user('bronze@example.com'), rewardId: reward('COFFEE-MUG'), quantity: 3, eventId: 'demo-pattern-a' },
          },
          {
            title: 'Pattern B: 3 vouchers from the pool: three rows of qty 1, each with its own code',
            request: { merchantId, userId: user('gold.student.vip@example.com'), rewardId: reward('COFFEE-VOUCHER'), quantity: 3, eventId: 'demo-pattern-b' },
          },
          {
            title: 'Pattern C: 100 vouchers from a pool holding fewer: refused, one failure row',
            request: { merchantId, userId: user('platinum@example.com'), rewardId: reward('COFFEE-VOUCHER'), quantity: 100, eventId: 'demo-pattern-c' },
          },
          {
            title: 'Refused: a Bronze member asks for the Gold lounge',
            request: { merchantId, userId: user('bronze@example.com'), rewardId: reward('GOLD-LOUNGE'), quantity: 1, eventId: 'demo-not-eligible' },
          },
          {
            title: 'Refused: not enough points',
            request: { merchantId, userId: user('newbie@example.com'), rewardId: reward('COFFEE-MUG'), quantity: 1, eventId: 'demo-insufficient-points' },
          },
          {
            title: 'Goodwill grant (direct mode): free, audited',
            request: {
              merchantId, userId: user('newbie@example.com'), rewardId: reward('COFFEE-MUG'), quantity: 1, eventId: 'demo-goodwill',
              mode: 'direct', actor, reason: 'demo: apology for a late order',
            },
          },
        ];
        const results: Record<string, unknown> = {};
        for (const step of steps) {
          heading(step.title);
          const result = await redeem(db, { ...step.request, sourceType: 'cli', actor: step.request.actor ?? actor });
          results[step.request.eventId!] = result;
          say(renderRedeem(io, result));
        }

        heading('Cancel pattern B: refund the points, release the codes to the pool');
        const cancelled = await cancel(db, { merchantId, by: 'event', value: 'demo-pattern-b', actor, reason: 'demo: member changed their mind' });
        say(renderCancel(io, cancelled));

        heading('The same event delivered again: stored result, no second effect');
        const replay = await redeem(db, steps[0]!.request);
        say(renderRedeem(io, replay));

        const balances = await db
          .selectFrom('user_accounts as u')
          .innerJoin('user_wallet as w', 'w.user_id', 'u.id')
          .select(['u.email', 'w.points_balance'])
          .where('u.merchant_id', '=', merchantId)
          .orderBy('u.email')
          .execute();
        heading('Balances now');
        say(table(io, ['member', 'points'], balances.map((b) => [b.email, b.points_balance])));
        say('\nNext: `redeemctl quote --user vip@example.com --reward COFFEE-VOUCHER`, `redeemctl --help`.');

        if (options.json) {
          writeJson(io, { database: { backend: database.backend, location: database.location }, applied, seed: summary, pricing: Object.fromEntries(pricing), redemptions: results, cancel: cancelled, replay, balances });
        }
      }),
    );
}
