import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { packageFile } from '../shared/packageFiles.js';
import type { Database, RawConnection } from './database.js';
import { UsageError } from '../shared/errors.js';

/** sql/ sits two levels above both src/db/ (tests) and dist/db/ (the built CLI). */
export const SQL_DIR = packageFile('sql/');

export interface MigrationFile {
  id: number;
  name: string;
  checksum: string;
  sql: string;
}

export interface MigrationStatus {
  id: number;
  name: string;
  state: 'applied' | 'pending' | 'edited' | 'unknown';
  appliedAt: Date | null;
}

/** Any fixed number: every redeemctl that migrates takes this lock, and only it. */
const MIGRATION_LOCK = 7_206_451_013;

export function readMigrationFiles(dir: string = SQL_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const sql = readFileSync(dir + name, 'utf8');
      return { id: Number(name.slice(0, 4)), name, sql, checksum: sha256(sql) };
    });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const BOOKKEEPING = `
  create table if not exists redeemctl_migrations (
    id         int primary key,
    name       text not null,
    checksum   text not null,
    applied_at timestamptz not null default now()
  )`;

interface AppliedRow {
  id: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

async function readApplied(conn: RawConnection): Promise<AppliedRow[]> {
  const { rows } = await conn.query<AppliedRow>(
    `select id, name, checksum, applied_at from redeemctl_migrations order by id`,
  );
  return rows;
}

export async function migrationStatus(database: Database, files = readMigrationFiles()): Promise<MigrationStatus[]> {
  return database.withConnection(async (conn) => {
    const exists = await conn.query<{ present: boolean }>(`select to_regclass('redeemctl_migrations') is not null as present`);
    const applied = exists.rows[0]?.present ? await readApplied(conn) : [];
    const byId = new Map(applied.map((row) => [row.id, row]));
    const known = new Set(files.map((f) => f.id));
    const statuses: MigrationStatus[] = files.map((file) => {
      const row = byId.get(file.id);
      if (!row) return { id: file.id, name: file.name, state: 'pending', appliedAt: null };
      return {
        id: file.id,
        name: file.name,
        state: row.checksum === file.checksum ? 'applied' : 'edited',
        appliedAt: row.applied_at,
      };
    });
    for (const row of applied) {
      if (!known.has(row.id)) statuses.push({ id: row.id, name: row.name, state: 'unknown', appliedAt: row.applied_at });
    }
    return statuses.sort((a, b) => a.id - b.id);
  });
}

/** Refuses a database this code cannot safely migrate: edited or unknown (newer) migrations. */
function checkHistory(applied: AppliedRow[], files: MigrationFile[]): void {
  const byId = new Map(files.map((f) => [f.id, f]));
  for (const row of applied) {
    const file = byId.get(row.id);
    if (!file) {
      throw new UsageError(
        `The database has migration ${row.name}, which this redeemctl does not know: the schema is newer than the code. Upgrade redeemctl.`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new UsageError(
        `Migration ${file.name} was edited after it was applied (checksum differs). Applied migrations are never edited: restore the file and put the change in a new numbered migration.`,
      );
    }
  }
}

/**
 * Applies pending migrations in order, each in its own transaction. Every transaction takes the
 * same advisory lock and re-reads the history under it, so two runners at once apply each file
 * exactly once. Returns the names applied by this call.
 */
export async function migrate(database: Database, files = readMigrationFiles()): Promise<string[]> {
  const appliedNow: string[] = [];
  await database.withConnection(async (conn) => {
    await inTransaction(conn, async () => {
      await conn.query(`select pg_advisory_xact_lock($1)`, [MIGRATION_LOCK]);
      await conn.exec(BOOKKEEPING);
    });
    for (const file of files) {
      const ran = await inTransaction(conn, async () => {
        await conn.query(`select pg_advisory_xact_lock($1)`, [MIGRATION_LOCK]);
        const applied = await readApplied(conn);
        checkHistory(applied, files);
        if (applied.some((row) => row.id === file.id)) return false;
        await conn.query(`insert into redeemctl_migrations (id, name, checksum) values ($1, $2, $3)`, [
          file.id,
          file.name,
          file.checksum,
        ]);
        await conn.exec(file.sql);
        return true;
      });
      if (ran) appliedNow.push(file.name);
    }
    // Nothing pending still checks the history, so an edited file is reported on every run.
    checkHistory(await readApplied(conn), files);
  });
  return appliedNow;
}

async function inTransaction<T>(conn: RawConnection, fn: () => Promise<T>): Promise<T> {
  await conn.exec('begin');
  try {
    const result = await fn();
    await conn.exec('commit');
    return result;
  } catch (error) {
    await conn.exec('rollback').catch(() => {});
    throw error;
  }
}
