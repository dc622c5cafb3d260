import { statSync } from 'node:fs';
import { redactSecrets } from '../shared/redact.js';

// The profiles file never holds a secret (docs/config.md, "Secrets"): a database URL carrying a
// password is refused, and the password stays in an environment variable or in a file the context
// names. These say whether a URL carries one, and whether a file named for one is exposed.

/** A password (or any other secret src/shared/redact.ts masks) in the URL or conninfo string. */
export function carriesSecret(url: string): boolean {
  return redactSecrets(url) !== url;
}

/** Why a file meant to hold a secret is a worry (missing, or readable by others), or undefined. */
export function secretFileWarning(path: string, setting: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'ENOENT' ? `${setting} ${path} does not exist yet: create it (mode 0600) before using the context` : `${setting} ${path}: ${code}`;
  }
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `${setting} ${path} can be read by other users (mode ${octal}): chmod 600 ${path}`;
}
