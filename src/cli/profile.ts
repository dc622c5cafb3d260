import { existsSync } from 'node:fs';
import type { CliIO } from '../shared/io.js';
import { configPath } from '../profiles/path.js';

// A command's named context (docs/config.md), laid under its environment before the action runs:
// the context's settings become the environment variables they already have, where the
// environment has none, so every command keeps resolving flag, then environment, then default.
// Without a profiles file and without --context or REDEEMCTL_CONTEXT, nothing is loaded (zod
// neither), and the command runs exactly as it did before profiles existed.

export interface AppliedProfile {
  /** The command's I/O, its environment with the context under it. */
  io: CliIO;
  contextName?: string;
  /** The context's database could not be resolved: said when the command opens a database. */
  databaseProblem?: string;
}

export interface ProfileFlags {
  context?: string | undefined;
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
}

export async function applyProfile(io: CliIO, flags: ProfileFlags): Promise<AppliedProfile> {
  if (!flags.context && !io.env.REDEEMCTL_CONTEXT && !existsSync(configPath(io.env))) return { io };
  const { profilesState } = await import('../profiles/select.js');
  const { overlayContext } = await import('../profiles/overlay.js');
  const { active } = profilesState(io.env, flags.context);
  if (!active) return { io };
  const databaseGiven = flags.databaseUrl !== undefined || flags.dataDir !== undefined;
  const { env, databaseProblem } = overlayContext(io.env, active, databaseGiven);
  return { io: { ...io, env }, contextName: active.name, ...(databaseProblem !== undefined && { databaseProblem }) };
}
