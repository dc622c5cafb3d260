import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { emit } from '../emit.js';

/**
 * The whole story on whatever database is configured (the embedded one by default): migrate,
 * seed, import a pool from CSV, the pricing worked example, patterns A, B and C, refusals, a
 * goodwill grant, a batch grant from CSV, a cancel with refund, a replay, pool health and
 * metrics. Running it again shows the stored results and changes nothing (src/demo/runDemo.ts).
 */
export function registerDemoCommand(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = program
    .command('demo')
    .description('migrate, seed a demo merchant, import a pool, redeem, batch-grant, cancel, and show pool health and metrics')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx) => {
    const { runDemo } = await import('../../demo/runDemo.js');
    const { renderDemo } = await import('./render/demo.js');
    const database = await ctx.rawDb({ create: true });
    return emit(ctx, await runDemo(database, ctx.actor()), renderDemo);
  });
}
