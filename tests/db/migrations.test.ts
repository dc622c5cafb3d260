import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate, migrationStatus, readMigrationFiles, type MigrationFile } from '../../src/db/migrations.js';
import { UsageError } from '../../src/shared/errors.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';

// The migration runner (src/db/migrations.ts) on empty databases: order, bookkeeping, idempotence,
// racing runners, and the refusals that protect a database from the wrong code.

const FILES = readMigrationFiles();
const NAMES = FILES.map((f) => f.name);

async function bookkeeping(database: Database) {
  return database.withConnection(async (conn) => {
    const { rows } = await conn.query<{ id: number; name: string; checksum: string }>(
      `select id, name, checksum from redeemctl_migrations order by applied_at, id`,
    );
    return rows;
  });
}

/** The files with one applied file's text changed, as an edit in sql/ would read. */
function withEdited(id: number): MigrationFile[] {
  return FILES.map((f) => {
    if (f.id !== id) return f;
    const sql = f.sql + '\n-- an edit after the fact\n';
    return { ...f, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

describe('migrations on an empty server database', () => {
  const opened: TestDatabase[] = [];
  async function emptyDatabase(): Promise<TestDatabase> {
    const handle = await createServerDatabase({ migrated: false, poolSize: 2 });
    opened.push(handle);
    return handle;
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((h) => h.drop()));
  });

  it('sql/ holds the numbered files in order', () => {
    expect(NAMES.slice(0, 5)).toEqual(['0001_schema.sql', '0002_rules.sql', '0003_redeem.sql', '0004_quote.sql', '0005_after_redemption.sql']);
    expect(NAMES.every((name, i) => i === 0 || name > NAMES[i - 1]!)).toBe(true);
    expect(FILES.map((f) => f.id)).toEqual(FILES.map((f) => Number(f.name.slice(0, 4))));
  });

  it('applies every file in order and records its id, name and checksum; a second run is a no-op', async () => {
    const { database } = await emptyDatabase();
    expect(await migrate(database)).toEqual(NAMES);
    expect(await bookkeeping(database)).toEqual(FILES.map((f) => ({ id: f.id, name: f.name, checksum: f.checksum })));
    expect(FILES.every((f) => /^[0-9a-f]{64}$/.test(f.checksum))).toBe(true);

    expect(await migrate(database)).toEqual([]);
    expect(await bookkeeping(database)).toHaveLength(FILES.length);
    // The functions the engine calls exist once the files ran.
    const fns = await database.withConnection((c) =>
      c.query<{ proname: string }>(
        `select proname from pg_proc where proname in ('redeem_reward_with_points', 'quote_reward', 'cancel_redemptions') order by proname`,
      ),
    );
    expect(fns.rows.map((r) => r.proname)).toEqual(['cancel_redemptions', 'quote_reward', 'redeem_reward_with_points']);
  });

  it('applies only what is pending: two files first, the rest on the next run', async () => {
    const { database } = await emptyDatabase();
    expect(await migrate(database, FILES.slice(0, 2))).toEqual(NAMES.slice(0, 2));
    expect((await migrationStatus(database)).map((s) => s.state)).toEqual(NAMES.map((_, i) => (i < 2 ? 'applied' : 'pending')));
    expect(await migrate(database)).toEqual(NAMES.slice(2));
    expect((await bookkeeping(database)).map((r) => r.id)).toEqual(FILES.map((f) => f.id));
  });

  it('4 runners at once on a fresh database, each with its own connection: every file applied exactly once, all succeed', async () => {
    const handle = await emptyDatabase();
    const others = await Promise.all([1, 2, 3].map(() => openDatabase({ url: handle.url, poolSize: 1 })));
    try {
      const runs = await Promise.all([handle.database, ...others].map((d) => migrate(d)));
      expect(runs.flat().sort()).toEqual(NAMES);
      expect(await bookkeeping(handle.database)).toEqual(FILES.map((f) => ({ id: f.id, name: f.name, checksum: f.checksum })));
      for (const d of others) expect(await migrate(d)).toEqual([]);
    } finally {
      await Promise.all(others.map((d) => d.close()));
    }
  });

  it('a file that fails leaves no bookkeeping row and stops the run; the files before it stay applied', async () => {
    const { database } = await emptyDatabase();
    const broken = [...FILES.slice(0, 2), { id: 3, name: '0003_broken.sql', sql: 'select no_such_function();', checksum: 'x'.repeat(64) }];
    await expect(migrate(database, broken)).rejects.toMatchObject({ code: '42883' });
    expect((await bookkeeping(database)).map((r) => r.name)).toEqual(NAMES.slice(0, 2));
  });

  it('refuses a database whose applied migration was edited, naming the file', async () => {
    const { database } = await emptyDatabase();
    await migrate(database);
    const edited = withEdited(3);
    const error = await migrate(database, edited).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toContain('0003_redeem.sql');
    expect((error as Error).message).toContain('was edited after it was applied');
    expect((await migrationStatus(database, edited)).map((s) => [s.name, s.state])).toEqual(
      NAMES.map((name) => [name, name === '0003_redeem.sql' ? 'edited' : 'applied']),
    );
  });

  it('refuses an edited applied file even while later files are pending, and applies nothing', async () => {
    const { database } = await emptyDatabase();
    await migrate(database, FILES.slice(0, 2));
    await expect(migrate(database, withEdited(1))).rejects.toThrow(/0001_schema\.sql was edited/);
    expect((await bookkeeping(database)).map((r) => r.id)).toEqual([1, 2]);
  });

  it('refuses a database holding a migration this code does not know (the schema is newer)', async () => {
    const { database } = await emptyDatabase();
    await migrate(database);
    await database.withConnection((c) =>
      c.query(`insert into redeemctl_migrations (id, name, checksum) values (9999, '9999_from_the_future.sql', 'abc')`),
    );
    const error = await migrate(database).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('9999_from_the_future.sql');
    expect((error as Error).message).toContain('newer than the code');
    const status = await migrationStatus(database);
    expect(status.at(-1)).toMatchObject({ id: 9999, name: '9999_from_the_future.sql', state: 'unknown' });
    expect(status.at(-1)!.appliedAt).toBeInstanceOf(Date);
  });

  it('migrationStatus on a database never migrated: every file pending, nothing created', async () => {
    const { database } = await emptyDatabase();
    expect(await migrationStatus(database)).toEqual(FILES.map((f) => ({ id: f.id, name: f.name, state: 'pending', appliedAt: null })));
    const table = await database.withConnection((c) =>
      c.query<{ present: boolean }>(`select to_regclass('redeemctl_migrations') is not null as present`),
    );
    expect(table.rows[0]!.present).toBe(false);
  });
});

describe('migrations on PGlite', () => {
  it('applies every file on a fresh embedded database, then a second run is a no-op', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      expect(await migrate(database)).toEqual(NAMES);
      expect(await migrate(database)).toEqual([]);
      expect((await migrationStatus(database)).map((s) => s.state)).toEqual(FILES.map(() => 'applied'));
      expect(await bookkeeping(database)).toEqual(FILES.map((f) => ({ id: f.id, name: f.name, checksum: f.checksum })));
    } finally {
      await database.close();
    }
  });
});
