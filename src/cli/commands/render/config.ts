import type { CliIO } from '../../../shared/io.js';
import { keyValues, table, type Cell, type ColumnSpec } from '../../output.js';
import type { ContextList, CurrentContext, ProfilesView, SetContextResult } from '../../../profiles/manage.js';
import type { Context } from '../../../profiles/schema.js';

// Human forms of the `config …` commands. The --json documents are the results as they are.

const COLUMNS: ColumnSpec[] = [
  { head: '' },
  { head: 'context' },
  { head: 'database' },
  { head: 'brokers', drop: 2 },
  { head: 'topic', drop: 1 },
  { head: 'merchant' },
  { head: 'actor', drop: 3 },
];

const HOW_TO_CREATE = '`redeemctl config set-context NAME --database-url-env VAR …` creates one (docs/config.md)';

export function renderContexts(io: CliIO, list: ContextList): string {
  if (list.contexts.length === 0) return `No contexts in ${list.file}: ${HOW_TO_CREATE}.`;
  const lines = [
    table(
      io,
      COLUMNS,
      list.contexts.map((c) => [c.active ? '*' : '', c.name, c.database, c.brokers, c.topic, c.merchant, c.actor]),
    ),
  ];
  const active = list.active_context;
  if (!active) lines.push('No context is in use: `redeemctl config use-context NAME` chooses one.');
  else if (active.source !== 'current_context') {
    lines.push(`In use: ${active.name} (by ${active.source}); the file's current context is ${list.current_context ?? 'not set'}.`);
  }
  return lines.join('\n');
}

export function renderCurrentContext(_io: CliIO, current: CurrentContext): string {
  return current.name ?? noCurrentContext(current.file);
}

export function noCurrentContext(file: string): string {
  return `No context is in use (no --context, no REDEEMCTL_CONTEXT, no current_context in ${file}): \`redeemctl config use-context NAME\` chooses one.`;
}

export function renderUsed(_io: CliIO, used: { file: string; current_context: string; previous: string | null }): string {
  if (used.previous === used.current_context) return `Context ${used.current_context} was already the current one (${used.file}).`;
  return `Switched to context ${used.current_context} (${used.file}).`;
}

export function renderDeleted(_io: CliIO, deleted: { file: string; deleted: string; was_current: boolean }): string {
  return `Deleted context ${deleted.deleted} from ${deleted.file}.` + (deleted.was_current ? ' It was the current one: no context is current now.' : '');
}

function settings(io: CliIO, context: Context): string {
  const pairs: Array<[string, Cell]> = Object.entries(context).map(([key, value]) => [key, describe(key, value)]);
  return pairs.length === 0 ? '  (no settings)' : keyValues(io, pairs);
}

/** A reference says what it refers to; nothing here is a secret. */
function describe(key: string, value: unknown): Cell {
  if (key === 'database_url_env') return `$${String(value)} (the URL is read from it when a command runs)`;
  if (key === 'database_url_file' || key === 'kafka_sasl_password_file') return `${String(value)} (read when a command runs)`;
  return value as Cell;
}

export function renderSet(io: CliIO, set: SetContextResult): string {
  const verb = set.created ? 'Created' : 'Updated';
  return [`${verb} context ${set.context} in ${set.file}:`, settings(io, set.stored)].join('\n');
}

export function renderView(io: CliIO, view: ProfilesView): string {
  if (!view.exists) return `No profiles file at ${view.file}: ${HOW_TO_CREATE}.`;
  const lines = [`file: ${view.file}`, `current_context: ${view.current_context ?? '(none)'}`];
  for (const [name, context] of Object.entries(view.contexts)) lines.push('', `context ${name}:`, settings(io, context));
  return lines.join('\n');
}
