import { userInfo } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Schema } from '../db/schema.js';
import type { LockHolder } from '../db/dataDirLock.js';
import type { CliIO } from '../shared/io.js';
import { setKafkaVerbose } from '../kafka/verbosity.js';
import { UsageError } from '../shared/errors.js';
import { UTC_VIEW, type TimeView } from '../shared/zonedTime.js';
import type { OutputFormat } from './listing.js';

/** Settings every command may use; each resolves flag, then environment, then default. */
export interface GlobalOptions {
  databaseUrl?: string;
  dataDir?: string;
  merchant?: string;
  /** Seconds to wait for another process holding the embedded database (--lock-wait). */
  lockWait?: string;
  /** The command's words ("redeemctl dash"), told to another process that finds the folder taken. */
  commandName?: string;
  /** --verbose: the Kafka client's own log lines on stderr (src/kafka/client.ts). */
  verbose?: boolean;
  /** The command's own --json: emit() prints the JSON document instead of the human rendering. */
  json?: boolean;
  /** --context: the named profile to run in (docs/config.md). */
  context?: string;
  /** The context in use, however it was chosen (--context, REDEEMCTL_CONTEXT, current_context). */
  contextName?: string;
  /** Why the context's database could not be resolved: said when a database is opened. */
  databaseProblem?: string;
  /** A listing command's --output (src/cli/listing.ts); `json` is set with it. */
  output?: OutputFormat;
  /** --utc: human output shows times in UTC, not in the merchant's time zone. */
  utc?: boolean;
}

/** What a command's action gets: its I/O, the settings, and the database opened on first use. */
export class CommandContext {
  private database?: Promise<Database>;
  private merchant?: Promise<string>;
  /** Set by the console: it lends the embedded database to other processes (docs/embedded.md). */
  private lender?: (asker: LockHolder | undefined) => void;
  private reopening = false;
  private zone?: Promise<void>;
  private view: TimeView = UTC_VIEW;

  constructor(
    readonly io: CliIO,
    readonly options: GlobalOptions,
  ) {
    // The Kafka clients of this command (its own, the worker's, serve's publisher) log only with --verbose.
    setKafkaVerbose(options.verbose ?? false);
  }

  /** The database, migrated: the embedded one is migrated on open so a first command just works. */
  db(): Promise<Database> {
    this.database ??= this.open();
    return this.database;
  }

  /**
   * The database without touching its schema (db migrate, db status, demo). Only with `create`
   * (demo, db migrate) may an embedded database be created where none is: a mistyped folder is
   * refused rather than silently holding a new, empty database.
   */
  async rawDb(options: { create?: boolean } = {}): Promise<Database> {
    this.database ??= this.openRaw(options.create ?? false);
    return this.database;
  }

  /**
   * For a long-running reader (the console) on the embedded database: when another process asks
   * for the folder, `onReleaseRequest` is called and should closeDatabase(); db() reopens it later,
   * refusing at once (no waiting) while the other process still holds it.
   */
  lendDatabase(onReleaseRequest: (asker: LockHolder | undefined) => void): void {
    this.lender = onReleaseRequest;
  }

  /** Closes the database; the next db() opens it again. */
  async closeDatabase(): Promise<void> {
    const current = this.database;
    this.database = undefined;
    this.reopening = true;
    const db = await current?.catch(() => undefined);
    await db?.close();
  }

  /** --json was given: one JSON document on stdout (src/cli/emit.ts). */
  get json(): boolean {
    return this.options.json ?? false;
  }

  /** The named profile this command runs in (docs/config.md), or undefined: none. */
  get contextName(): string | undefined {
    return this.options.contextName;
  }

  /** The migrated database and the merchant acted for: what most commands need together. */
  /** How the output is printed: a listing's --output, else json with --json, else a table. */
  get format(): OutputFormat {
    return this.options.output ?? (this.json ? 'json' : 'table');
  }

  /** How human output shows times: the merchant's zone once scope() has found it, else UTC. */
  get timeView(): TimeView {
    return this.view;
  }

  /**
   * The migrated database and the merchant acted for: what most commands need together. For a
   * table, also the merchant's time zone (docs/output.md, "Times"); JSON and CSV stay in UTC.
   */
  async scope(): Promise<{ database: Database; db: Kysely<Schema>; merchantId: string }> {
    const database = await this.db();
    const merchantId = await this.merchantId();
    if (this.format === 'table' && !this.options.utc) {
      this.zone ??= this.loadTimeView(database.db, merchantId);
      await this.zone;
    }
    return { database, db: database.db, merchantId };
  }

  /**
   * The merchant's zone, or UTC when this Node does not know its name: said once on stderr, when
   * the first time is shown (a command that shows none, such as redeem, says nothing).
   */
  private async loadTimeView(db: Kysely<Schema>, merchantId: string): Promise<void> {
    const { timeViewFor } = await import('../shared/zonedTime.js');
    const { note } = await import('./output.js');
    const row = await db.selectFrom('merchants').select('time_zone').where('id', '=', merchantId).executeTakeFirst();
    const { view, unknown } = timeViewFor(row?.time_zone);
    if (!unknown) {
      this.view = view;
      return;
    }
    let said = false;
    this.view = {
      ...view,
      time: (at) => {
        if (!said) note(this.io, `warning: the merchant's time zone ${JSON.stringify(row?.time_zone)} is not one this Node knows; times are shown in UTC`);
        said = true;
        return view.time(at);
      },
    };
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

  private async openRaw(create: boolean): Promise<Database> {
    // The context names its database by a variable that is unset or a file that cannot be read.
    if (this.options.databaseProblem) throw new UsageError(this.options.databaseProblem, { hint: null });
    const { openDatabase } = await import('../db/database.js');
    const { explainDatabaseError } = await import('../shared/errors.js');
    const { parseLockWait } = await import('./parse.js');
    const { describeHolder } = await import('../db/dataDirLock.js');
    const lockWaitMs = this.reopening ? 0 : parseLockWait(this.options.lockWait);
    let database: Database | undefined;
    try {
      database = await openDatabase({
        url: this.options.databaseUrl,
        dataDir: this.options.dataDir,
        embedded: {
          create,
          lockWaitMs,
          command: this.options.commandName,
          onReleaseRequest: this.lender,
          onLockWait: (holder, waitMs) =>
            this.io.stderr.write(
              holder?.lends
                ? `The embedded database is open in ${describeHolder(holder)}; asked it to lend the database, waiting.\n`
                : `Waiting up to ${Math.round(waitMs / 1000)} s for the embedded database: in use by ${describeHolder(holder)}. ` +
                    'It serves one process at a time; set DATABASE_URL to a PostgreSQL server for concurrent use.\n',
            ),
        },
      });
      // The server pool connects lazily: reach it now, so "cannot connect" is reported as such.
      await database.withConnection((conn) => conn.query('select 1'));
      return database;
    } catch (error) {
      await database?.close().catch(() => {});
      throw explainDatabaseError(error, database?.location ?? (this.options.databaseUrl ? 'DATABASE_URL' : this.options.dataDir));
    }
  }

  private async open(): Promise<Database> {
    const database = await this.openRaw(false);
    const { migrate, migrationStatus } = await import('../db/migrations.js');
    const { explainDatabaseError } = await import('../shared/errors.js');
    try {
      if (database.backend === 'pglite') {
        await migrate(database);
      } else {
        const pending = (await migrationStatus(database)).filter((m) => m.state !== 'applied');
        if (pending.length > 0) {
          throw new UsageError(
            `The database schema is not current (${pending.map((m) => `${m.name}: ${m.state}`).join(', ')}): run \`redeemctl db migrate\` first`,
            { hint: null },
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
