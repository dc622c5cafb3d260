import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildDist, REPO_ROOT } from './cliHarness.js';

// The crash test runs the built CLI (bin/ imports dist/). Build only when dist/ is older than
// src/: `npm test` has just built it, and a second tsc writing the same files while another test
// spawns the binary could hand that binary a half-written module.

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Source files (under src/, or the given folders of it) whose compiled module is missing or older. */
export function staleModules(under: string[] = ['']): string[] {
  const src = join(REPO_ROOT, 'src');
  return under.flatMap((folder) => sources(join(src, folder))).filter((file) => {
    const built = join(REPO_ROOT, 'dist', relative(src, file).replace(/\.tsx?$/, '.js'));
    try {
      return statSync(built).mtimeMs < statSync(file).mtimeMs;
    } catch {
      return true;
    }
  });
}

/** What `redeemctl batch run` loads: the CLI, every command module it registers, and below them. */
const BATCH_PATH = ['cli', 'commands', 'batch', 'engine', 'db', 'seed'];

/**
 * Builds dist/ if it is stale. tsc still writes every module when some file elsewhere in the
 * tree has a type error (another change in progress); that is reported, not fatal, as long as
 * what the batch command loads is current. `npm test` typechecks separately.
 */
export async function ensureDist(): Promise<void> {
  if (staleModules().length === 0) return;
  try {
    await buildDist();
  } catch (error) {
    if (staleModules(BATCH_PATH).length > 0) throw error;
    console.warn(`npm run build reported errors outside the batch command; its modules are current:\n${(error as Error).message}`);
  }
}
