import { statSync } from 'node:fs';
import { CsvFile } from '../shared/csv.js';
import { UsageError } from '../shared/errors.js';
import { readGrants } from './grantsCsv.js';
import type { GrantMode, GrantRow } from './types.js';

// Later passes read the file again (streamed, so memory does not grow with rows). The batch id is
// the hash of what the first pass read, so the file must not change in between: its size and
// modification time are checked every chunk, and its hash at the end.

export const CHUNK_ROWS = 256;

export interface FileIdentity {
  sha256: string;
  size: number;
  mtimeMs: number;
}

export function identify(path: string, sha256: string): FileIdentity {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`Cannot read ${path}: not a file`);
    return { sha256, size: stat.size, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The rows again, in chunks of CHUNK_ROWS, refusing a file that changed since the first pass. */
export async function* rereadChunks(path: string, mode: GrantMode, identity: FileIdentity): AsyncGenerator<GrantRow[]> {
  const csv = new CsvFile(path);
  let chunk: GrantRow[] = [];
  for await (const row of readGrants(csv, mode)) {
    chunk.push(row);
    if (chunk.length === CHUNK_ROWS) {
      checkUnchanged(path, identity);
      yield chunk;
      chunk = [];
    }
  }
  checkUnchanged(path, identity);
  if (csv.sha256 !== identity.sha256) throw changed(path);
  if (chunk.length > 0) yield chunk;
}

function checkUnchanged(path: string, identity: FileIdentity): void {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw changed(path);
  }
  if (stat.size !== identity.size || stat.mtimeMs !== identity.mtimeMs) throw changed(path);
}

function changed(path: string): UsageError {
  return new UsageError(
    `${path} changed while the batch ran (its batch id comes from its content); rows done so far stay done. ` +
      'Leave the file alone and run it again, or give the new content its own run',
  );
}
