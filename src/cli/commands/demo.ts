import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { formatCount } from '../../shared/format.js';
import { paint, table, writeJson, writeLine } from '../output.js';

/**
 * The whole story on whatever database is configured (the embedded one by default): migrate,
 * seed, import a pool from CSV, the pricing worked example, patterns A, B and C, refusals, a
 * goodwill grant, a batch grant from CSV, a cancel with refund, a replay, pool health and
 * metrics. Running it again shows the stored results and changes nothing (src/demo/story.ts).
 */
export function registerDemoCommand(program: Command, cli: ProgramBuilder): void {
  program
    .command('demo')
    .description('migrate, seed a demo merchant, import a pool, redeem, batch-grant, cancel, and show pool health and metrics')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<{ json?: boolean }>(async (ctx, options) => {
        const story = await import('../../demo/story.js');
        const { renderCancel, renderRedeem } = await import('./render/redeem.js');
        const { renderImport } = await import('./render/codesImport.js');
        const { renderRun } = await import('./render/batch.js');
        const { renderPoolHealth } = await import('./render/poolHealth.js');
        const { renderMetrics } = await import('./render/metrics.js');
        const io = ctx.io;
        const say = (text: string) => {
          if (!options.json) writeLine(io, text);
        };
        const heading = (text: string) => say('\n' + paint(io, 'bold', `== ${text}`));

        const database = await ctx.rawDb({ create: true });
        const sc = { database, actor: ctx.actor() };
        const { applied, seeded } = await story.setUp(sc);
        heading(`Database: ${database.backend} (${database.location})`);
        say(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Schema already current.');
        heading(`Seeded ${seeded.merchant}: ${seeded.users} members, ${seeded.rewards} rewards`);

        heading('Import a code pool from CSV: fixtures/codes/demo-pool.csv into COFFEE-VOUCHER');
        const imported = await story.importPool(sc, seeded);
        say(renderImport(io, imported));

        heading('Pricing: COFFEE-VOUCHER per member (tier beats persona beats tag; fallback 120)');
        const pricing = await story.pricing(sc, seeded);
        say(table(io, ['member', 'points per unit'], pricing.map(([email, points]) => [email, formatCount(points)])));

        const redemptions: Record<string, unknown> = {};
        const steps = story.redemptionSteps(seeded, sc.actor);
        for (const step of steps) {
          heading(step.title);
          const result = await story.runRedemption(sc, step);
          redemptions[step.request.eventId!] = result;
          say(renderRedeem(io, result));
        }

        heading('Batch grant from CSV: fixtures/grants/demo-grants.csv');
        const batch = await story.batchGrant(sc, seeded);
        say(renderRun(io, batch));

        heading('Cancel pattern B: refund the points, release the codes to the pool');
        const cancelled = await story.cancelPatternB(sc, seeded);
        say(renderCancel(io, cancelled));

        heading('The same event delivered again: stored result, no second effect');
        const replay = await story.runRedemption(sc, steps[0]!);
        say(renderRedeem(io, replay));

        const { health, metrics } = await story.monitoring(sc, seeded);
        heading('Pool health');
        say(renderPoolHealth(io, health));
        heading('Metrics, last 24 hours');
        say(renderMetrics(io, metrics));

        const balances = await story.balances(sc, seeded);
        heading('Balances now');
        say(table(io, ['member', 'points'], balances.map((b) => [b.email, formatCount(b.points_balance)])));
        say('\nNext: `redeemctl quote --user vip@example.com --reward COFFEE-VOUCHER`, `redeemctl pool health`, `redeemctl --help`.');

        if (options.json) {
          writeJson(io, {
            database: { backend: database.backend, location: database.location },
            applied, seed: seeded, import: imported, pricing: Object.fromEntries(pricing), redemptions,
            batch, cancel: cancelled, replay, pool_health: health, metrics, balances,
          });
        }
      }),
    );
}
