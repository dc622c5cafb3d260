import { UsageError } from '../shared/errors.js';
import { loadProfiles } from './file.js';
import { configPath } from './path.js';
import type { Context, Profiles } from './schema.js';

// Which context a command runs in: `--context NAME`, else REDEEMCTL_CONTEXT, else the file's
// current_context, else none (every setting from flags, the environment and the defaults, as
// without a profiles file). A name that is not in the file is exit 2, whichever way it came.

type Env = Record<string, string | undefined>;

export type ContextSource = 'flag' | 'env' | 'file';

/** How each source is named in messages and in `config current-context --json`. */
export const SOURCE_NAMES: Record<ContextSource, string> = { flag: '--context', env: 'REDEEMCTL_CONTEXT', file: 'current_context' };

export interface ActiveContext {
  name: string;
  context: Context;
  source: ContextSource;
  /** The profiles file it was read from. */
  file: string;
}

/** The profiles file, what it holds (undefined: no file) and the context in use (undefined: none). */
export interface ProfilesState {
  file: string;
  profiles: Profiles | undefined;
  active: ActiveContext | undefined;
}

/** The context chosen by the flag, the environment or the file; pure but for the error it throws. */
export function selectContext(profiles: Profiles | undefined, file: string, chosen: { flag?: string | undefined; env?: string | undefined }): ActiveContext | undefined {
  const pick: [string, ContextSource] | undefined = chosen.flag
    ? [chosen.flag, 'flag']
    : chosen.env
      ? [chosen.env, 'env']
      : profiles?.current_context
        ? [profiles.current_context, 'file']
        : undefined;
  if (!pick) return undefined;
  const [name, source] = pick;
  const context = profiles?.contexts[name];
  if (!context) throw unknownContext(name, file, profiles, source);
  return { name, context, source, file };
}

/** `No context "x" (from REDEEMCTL_CONTEXT) in FILE (it has a, b); …`: exit 2. */
export function unknownContext(name: string, file: string, profiles: Profiles | undefined, source?: ContextSource): UsageError {
  const names = Object.keys(profiles?.contexts ?? {});
  const from = source ? ` (from ${SOURCE_NAMES[source]})` : '';
  const has = profiles === undefined ? ', which does not exist' : names.length > 0 ? ` (it has ${names.join(', ')})` : ' (it has none)';
  return new UsageError(`No context "${name}"${from} in ${file}${has}; \`redeemctl config get-contexts\` lists them`, { hint: null });
}

/**
 * Reads the file named by the environment and selects the context; `flag` is --context. With
 * `lenient` (the listings of `config`), a name that is not in the file selects none instead of
 * failing: the listing is how one finds the right name.
 */
export function profilesState(env: Env, flag: string | undefined, options: { lenient?: boolean } = {}): ProfilesState {
  const file = configPath(env);
  const profiles = loadProfiles(file);
  const chosen = { flag: flag || undefined, env: env.REDEEMCTL_CONTEXT || undefined };
  let active: ActiveContext | undefined;
  try {
    active = selectContext(profiles, file, chosen);
  } catch (error) {
    if (!options.lenient) throw error;
  }
  return { file, profiles, active };
}
