import type { z } from 'zod';
import { UsageError } from '../shared/errors.js';
import { didYouMean, rankSuggestions } from '../lookup/suggest.js';
import { CONTEXT_KEYS, DATABASE_KEYS, profilesSchema, type Context, type Profiles } from './schema.js';

// Reading the profiles file's text: JSON, then the schema, then the one rule the schema does not
// say (one database per context). Every error is exit 2 and names the file, the context and the
// key, so a typo is found at once; nothing is guessed or skipped.

const TOP_KEYS = ['current_context', 'contexts'];

/** The profiles in `text`, read from `file` (named in every error). */
export function parseProfiles(text: string, file: string): Profiles {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`, { hint: 'the profiles file, its keys and how a context is chosen: docs/config.md' });
  }
  const parsed = profilesSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`${file}: ${describeIssue(parsed.error.issues[0]!)}`, { hint: 'the profiles file, its keys and how a context is chosen: docs/config.md' });
  for (const [name, context] of Object.entries(parsed.data.contexts)) {
    const problem = contextProblem(context);
    if (problem) throw new UsageError(`${file}: context "${name}": ${problem}`, { hint: 'the profiles file, its keys and how a context is chosen: docs/config.md' });
  }
  return parsed.data;
}

/** What is wrong with a context that the schema accepts, or undefined: more than one database. */
export function contextProblem(context: Context): string | undefined {
  const given = DATABASE_KEYS.filter((key) => context[key] !== undefined);
  if (given.length <= 1) return undefined;
  return `names its database ${given.length} ways (${given.join(', ')}): keep one of ${DATABASE_KEYS.join(', ')}`;
}

/** `context "staging": unknown key "broker". Did you mean brokers?`: where, then what. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const [top, name, key] = issue.path.map(String);
  const where = top === 'contexts' && name !== undefined ? `context "${name}": ` : '';
  if (issue.code === 'unrecognized_keys') {
    const known = where ? CONTEXT_KEYS : TOP_KEYS;
    const unknown = issue.keys[0]!;
    const hint = didYouMean(rankSuggestions(unknown, known, 1)) || ` Known keys: ${known.join(', ')}.`;
    return `${where}unknown key "${unknown}".${hint}`;
  }
  if (issue.code === 'invalid_key') return `context name "${name}" is not valid: use letters, digits, ".", "_" and "-"`;
  const field = where ? key : top;
  const message = issue.message.replace(/^Invalid input: /, '');
  return field === undefined ? `${where}${message}` : `${where}"${field}": ${message}`;
}
