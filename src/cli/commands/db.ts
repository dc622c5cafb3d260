import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { ProgramBuilder } from '../program.js';
import { emit } from '../emit.js';
import { packageFile } from '../../shared/packageFiles.js';

// `db migrate`, `db status` and `db seed`: flags, then src/db/schemaOutcomes.ts or src/demo/seed.ts.

export const DEFAULT_FIXTURE = packageFile('fixtures/demo.json');

function registerMigrate(db: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = db.command('migrate').description('apply pending sql/ migrations (idempotent)').option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx) => {
    const { migrateSchema } = await import('../../db/schemaOutcomes.js');
    const { renderMigrated } = await import('./render/db.js');
    return emit(ctx, await migrateSchema(await ctx.rawDb({ create: true })), renderMigrated);
  });
}

function registerStatus(db: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = db.command('status').description('list migrations: applied, pending, edited or unknown').option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx) => {
    const { schemaStatus } = await import('../../db/schemaOutcomes.js');
    const { renderSchemaStatus } = await import('./render/db.js');
    return emit(ctx, await schemaStatus(await ctx.rawDb()), renderSchemaStatus);
  });
}

function registerSeed(db: CommandUnknownOpts, cli: ProgramBuilder): void {
  const command = db
    .command('seed')
    .description('load a fixture set (default: fixtures/demo.json); loading twice changes nothing')
    .argument('[file]', 'fixture JSON file')
    .option('--json', 'one JSON document on stdout');
  cli.action(command, async (ctx, _options, [given]) => {
    const { readFixtureFile, seed } = await import('../../demo/seed.js');
    const { done } = await import('../../shared/outcome.js');
    const { renderSeeded } = await import('./render/db.js');
    const file = given ?? DEFAULT_FIXTURE;
    const fixture = await readFixtureFile(file);
    return emit(ctx, done(await seed((await ctx.db()).db, fixture)), (io, summary) => renderSeeded(io, file, summary));
  });
}

export function registerDbCommands(program: CommandUnknownOpts, cli: ProgramBuilder): void {
  const db = program.command('db').description('schema migrations and fixtures');
  registerMigrate(db, cli);
  registerStatus(db, cli);
  registerSeed(db, cli);
}
