import { redactUrl } from '../shared/redact.js';
import type { Context, Profiles } from './schema.js';
import type { ActiveContext } from './select.js';

// The contexts as `config get-contexts` and `config view` show them: references (an environment
// variable's name, a file's path) as references, and a URL written in the file with any secret
// masked (the tool never writes one, but a file edited by hand might hold one).

/** Where a context's database is, in a few words: `$VAR`, `file PATH`, `embedded PATH`, or the URL, masked. */
export function databaseText(context: Context): string {
  if (context.database_url !== undefined) return redactUrl(context.database_url);
  if (context.database_url_env !== undefined) return `$${context.database_url_env}`;
  if (context.database_url_file !== undefined) return `file ${context.database_url_file}`;
  if (context.data_dir !== undefined) return `embedded ${context.data_dir}`;
  return '';
}

/** The context as stored, its URL masked. */
export function shownContext(context: Context): Context {
  return context.database_url === undefined ? { ...context } : { ...context, database_url: redactUrl(context.database_url) };
}

export interface ContextRow {
  name: string;
  /** The context commands use now (by --context, REDEEMCTL_CONTEXT or current_context). */
  active: boolean;
  /** The file's current_context. */
  current: boolean;
  database: string;
  brokers: string | null;
  topic: string | null;
  merchant: string | null;
  actor: string | null;
}

export function contextRows(profiles: Profiles | undefined, active: ActiveContext | undefined): ContextRow[] {
  return Object.entries(profiles?.contexts ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, c]) => ({
      name,
      active: active?.name === name,
      current: profiles?.current_context === name,
      database: databaseText(c),
      brokers: c.brokers ?? null,
      topic: c.topic ?? null,
      merchant: c.merchant ?? null,
      actor: c.actor ?? null,
    }));
}
