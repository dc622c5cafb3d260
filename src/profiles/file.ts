import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../shared/errors.js';
import { parseProfiles } from './parse.js';
import { carriesSecret } from './secrets.js';
import type { Profiles } from './schema.js';

// How the profiles file is read and written (docs/config.md; where it is: path.ts). It holds no
// secret (a password is refused before it gets here), yet it is written mode 0600 in a 0700
// folder: it names hosts, users and where the secrets are. Written atomically: a temporary file
// beside it, then renamed over it, so a crash leaves the old file or the new one, never a part.

/** The profiles at `path`; undefined when there is no file (no contexts: not an error). */
export function loadProfiles(path: string): Profiles | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`Cannot read ${path}: ${code ?? (error as Error).message}`, { hint: 'the profiles file, its keys and how a context is chosen: docs/config.md' });
  }
  return parseProfiles(text, path);
}

/**
 * Writes the profiles to `path`, mode 0600, atomically; the folder is created (0700) if missing.
 * The one place the file is written, so the one place that makes sure no password is: a URL with
 * one written into the file by hand is not written back by the tool (exit 2, nothing written).
 */
export function saveProfiles(path: string, profiles: Profiles): void {
  for (const [name, context] of Object.entries(profiles.contexts)) {
    if (context.database_url !== undefined && carriesSecret(context.database_url)) {
      throw new UsageError(
        `Context "${name}" in ${path} holds a database password in plain text, and redeemctl never writes one; nothing was written. ` +
          'Move the URL to an environment variable (database_url_env) or a file only you can read (database_url_file) first',
      );
    }
  }
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    rmSync(temporary, { force: true });
    // exclusive: a symlink planted at the temporary name is not followed
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(profiles, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as { code?: string }).code;
    throw new UsageError(`Cannot write ${path}: ${code ?? (error as Error).message}`, { cause: error });
  }
}
