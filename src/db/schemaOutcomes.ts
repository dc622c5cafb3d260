import { done, type Outcome } from '../shared/outcome.js';
import type { Backend, Database } from './database.js';
import { migrate, migrationStatus, type MigrationStatus } from './migrations.js';

// `db migrate` and `db status` as outcomes: the database they ran on, and what they found.

interface Where {
  database: string;
  backend: Backend;
}

/** Applies the pending migrations (none: nothing to do). Exit 0. */
export async function migrateSchema(database: Database): Promise<Outcome<Where & { applied: string[] }>> {
  const applied = await migrate(database);
  return done({ database: database.location, backend: database.backend, applied });
}

/** Every migration's state; exit 1 unless all are applied, so a deploy script can gate on it. */
export async function schemaStatus(database: Database): Promise<Outcome<Where & { migrations: MigrationStatus[] }>> {
  const migrations = await migrationStatus(database);
  return {
    exitCode: migrations.every((m) => m.state === 'applied') ? 0 : 1,
    result: { database: database.location, backend: database.backend, migrations },
  };
}
