import { userInfo } from 'node:os';
import type { Database } from '../db/database.js';
import type { CliIO } from './io.js';
import { UsageError } from '../engine/errors.js';

/** Settings every command may use; each resolves flag, then environment, then default. */
export interface GlobalOptions {
  databaseUrl?: string;
  dataDir?: string;
  merchant?: string;
}

/** What a command's action gets: its I/O, the settings, and the database opened on first use. */
export class CommandContext {
  private database?: Promise<Database>;
  private merchant?: Promise<string>;

  constructor(
    readonly io: CliIO,
    readonly options: GlobalOptions,
  ) {}

  /** The database, migrated: the embedded one is migrated on open so a first command just works. */
  db(): Promise<Database> {
    this.database ??= this.open();
    return this.database;
  }

  /** The database without touching its schema (db migrate, db status). */
  async rawDb(): Promise<Database> {
    this.database ??= this.openRaw();
    return this.database;
  }

  merchantId(): Promise<string> {
    this.merchant ??= (async () => {
      const { resolveMerchantId } = await import('../engine/resolve.js');
      return resolveMerchantId((await this.db()).db, this.options.merchant);
    })();
    return this.merchant;
  }

  /** Who is acting, for audit rows: --actor, then REDEEMCTL_ACTOR, then the OS user. */
  actor(given?: string): string {
    const actor = given ?? this.io.env.REDEEMCTL_ACTOR ?? this.io.env.USER ?? this.io.env.LOGNAME ?? osUser();
    if (!actor?.trim()) throw new UsageError('Who is acting? Pass --actor or set REDEEMCTL_ACTOR');
    return actor;
  }

  async close(): Promise<void> {
    if (!this.database) return;
    const db = await this.database.catch(() => undefined);
    await db?.close();
  }

  private async openRaw(): Promise<Database> {
    const { openDatabase } = await import('../db/database.js');
    const { explainDatabaseError } = await import('../engine/errors.js');
    let database: Database | undefined;
    try {
      database = await openDatabase({ url: this.options.databaseUrl, dataDir: this.options.dataDir });
      // The server pool connects lazily: reach it now, so "cannot connect" is reported as such.
      await database.withConnection((conn) => conn.query('select 1'));
      return database;
    } catch (error) {
      await database?.close().catch(() => {});
      throw explainDatabaseError(error, database?.location ?? (this.options.databaseUrl ? 'DATABASE_URL' : this.options.dataDir));
    }
  }

  private async open(): Promise<Database> {
    const database = await this.openRaw();
    const { migrate, migrationStatus } = await import('../db/migrations.js');
    const { explainDatabaseError } = await import('../engine/errors.js');
    try {
      if (database.backend === 'pglite') {
        await migrate(database);
      } else {
        const pending = (await migrationStatus(database)).filter((m) => m.state !== 'applied');
        if (pending.length > 0) {
          throw new UsageError(
            `The database schema is not current (${pending.map((m) => `${m.name}: ${m.state}`).join(', ')}): run \`redeemctl db migrate\` first`,
          );
        }
      }
    } catch (error) {
      await database.close().catch(() => {});
      throw explainDatabaseError(error, database.location);
    }
    return database;
  }
}

function osUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
