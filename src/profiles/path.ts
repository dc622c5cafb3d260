import { homedir } from 'node:os';
import { join } from 'node:path';

// Where the profiles file is: a module of its own, without zod, so every command can ask whether
// there is one without loading the schema (src/cli/profile.ts).

type Env = Record<string, string | undefined>;

/** `$REDEEMCTL_CONFIG`, else `$XDG_CONFIG_HOME/redeemctl/config.json`, else `~/.config/redeemctl/config.json`. */
export function configPath(env: Env): string {
  if (env.REDEEMCTL_CONFIG) return env.REDEEMCTL_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'redeemctl', 'config.json');
}
