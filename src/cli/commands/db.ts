import type { Command } from 'commander';
import type { ProgramBuilder } from '../program.js';
import { formatCount, formatTime } from '../../shared/format.js';
import { keyValues, table, writeJson, writeLine } from '../output.js';

export const DEFAULT_FIXTURE = new URL('../../../fixtures/demo.json', import.meta.url);

export function registerDbCommands(program: Command, cli: ProgramBuilder): void {
  const db = program.command('db').description('schema migrations and fixtures');

  db.command('migrate')
    .description('apply pending sql/ migrations (idempotent)')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<{ json?: boolean }>(async (ctx, options) => {
        const { migrate } = await import('../../db/migrations.js');
        const database = await ctx.rawDb({ create: true });
        const applied = await migrate(database);
        if (options.json) writeJson(ctx.io, { database: database.location, backend: database.backend, applied });
        else if (applied.length === 0) writeLine(ctx.io, `Schema is current (${database.location}); nothing to apply.`);
        else writeLine(ctx.io, `Applied ${applied.length} migration(s) to ${database.location}: ${applied.join(', ')}`);
      }),
    );

  db.command('status')
    .description('list migrations: applied, pending, edited or unknown')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<{ json?: boolean }>(async (ctx, options) => {
        const { migrationStatus } = await import('../../db/migrations.js');
        const database = await ctx.rawDb();
        const statuses = await migrationStatus(database);
        if (options.json) writeJson(ctx.io, { database: database.location, backend: database.backend, migrations: statuses });
        else {
          writeLine(ctx.io, `${database.backend} ${database.location}`);
          writeLine(ctx.io, table(ctx.io, ['id', 'migration', 'state', 'applied at'], statuses.map((s) => [s.id, s.name, s.state, formatTime(s.appliedAt)])));
        }
        return statuses.every((s) => s.state === 'applied') ? 0 : 1;
      }),
    );

  db.command('seed')
    .description('load a fixture set (default: fixtures/demo.json); loading twice changes nothing')
    .argument('[file]', 'fixture JSON file')
    .option('--json', 'one JSON document on stdout')
    .action(
      cli.action<{ json?: boolean }>(async (ctx, options, command) => {
        const { readFixtureFile, seed } = await import('../../demo/seed.js');
        const { fileURLToPath } = await import('node:url');
        const file = (command.args[0] as string | undefined) ?? fileURLToPath(DEFAULT_FIXTURE);
        const fixture = await readFixtureFile(file);
        const summary = await seed((await ctx.db()).db, fixture);
        if (options.json) writeJson(ctx.io, summary);
        else {
          writeLine(ctx.io, `Seeded ${file}`);
          writeLine(ctx.io, keyValues(ctx.io, [
            ['merchant', `${summary.merchant} (${summary.merchantId})`],
            ['members', formatCount(summary.users)],
            ['rewards', formatCount(summary.rewards)],
            ['codes added', formatCount(summary.codes)],
          ]));
        }
      }),
    );
}
