import type { RawConnection } from '../db/database.js';
import type { CodeRow } from './checkRow.js';

/**
 * The staging table: every data row of the file, valid or not, with its line number, so the
 * duplicate checks and the report are SQL over it and Node's memory does not grow with the file.
 * A temporary table: no WAL, private to this connection, dropped with the transaction.
 *
 * kind: null for a row to import; 'invalid' (from the row checks, with the problem sentence),
 * 'duplicate_in_file' (with the first line of the code) or 'duplicate_in_pool' (with the reward
 * and the import batch holding it), from dedupe.ts; problems.ts words those two when it reads them.
 * dedupe.ts, problems.ts, insertPool.ts and voidCodes.ts read these columns: change them together.
 */
export async function createStage(conn: RawConnection): Promise<void> {
  await conn.exec(`
    create temp table codes_stage (
      line          int not null,
      code          text not null,
      lot           text,
      partner       text,
      expires_at    timestamptz,
      expires_date  date,
      kind          text,
      problem       text,
      first_line    int,
      pool_reward   uuid,
      pool_batch    uuid
    ) on commit drop`);
}

/**
 * Streams the rows into the staging table with COPY (both backends: RawConnection.copyFrom).
 * Measured on 1,000,000 codes: COPY is the cheap part of an import (docs/codes.md); on PGlite, COPY
 * from blobs loaded 200,000 rows in 0.28 s against 0.88 s for batched INSERT … SELECT FROM unnest.
 */
export async function stageRows(conn: RawConnection, rows: AsyncIterable<CodeRow[]>): Promise<number> {
  if (!conn.copyFrom) throw new Error('this database connection cannot COPY (RawConnection.copyFrom is missing)');
  return conn.copyFrom(
    `copy codes_stage ${STAGE_COPY_COLUMNS} from stdin`,
    copyText(rows),
  );
}

/** COPY text, about 64 KiB a chunk, so the stream moves in few, large pieces. */
async function* copyText(batches: AsyncIterable<CodeRow[]>): AsyncGenerator<string> {
  let chunk = '';
  for await (const batch of batches) {
    for (const r of batch) chunk += copyLine(r);
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** The columns copyLine writes, in its order. */
export const STAGE_COPY_COLUMNS = '(line, code, lot, partner, expires_at, expires_date, kind, problem)';

/** One row as a line of COPY text (STAGE_COPY_COLUMNS). */
export function copyLine(r: CodeRow): string {
  return (
    `${r.line}\t${text(r.code)}\t${nullable(r.lot)}\t${nullable(r.partner)}\t${nullable(r.expiresAt)}\t` +
    `${nullable(r.expiresDate)}\t${r.problem === null ? '\\N\t\\N' : `invalid\t${text(r.problem)}`}\n`
  );
}

/**
 * A part of the staging table: a temporary table that inherits codes_stage, so a query of
 * codes_stage reads every part and a chunk of the file can be read (and inserted) on its own
 * without copying it anywhere (docs/codes.md, "How an import runs").
 */
export async function createStagePart(conn: RawConnection, index: number): Promise<string> {
  const name = `codes_stage_${index}`;
  await conn.exec(`create temp table ${name} () inherits (codes_stage) on commit drop`);
  return name;
}

/** COPY of one part's rows (COPY text from copyLine). */
export async function copyIntoStagePart(conn: RawConnection, part: string, pieces: AsyncIterable<string>): Promise<number> {
  if (!conn.copyFrom) throw new Error('this database connection cannot COPY (RawConnection.copyFrom is missing)');
  return conn.copyFrom(`copy ${part} ${STAGE_COPY_COLUMNS} from stdin`, pieces);
}

const SPECIAL = /[\\\t\n\r\u0000]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\u0000': '\uFFFD' };

/** COPY text format: backslash, tab and line breaks escaped; a NUL (which text cannot hold) replaced. */
function text(value: string): string {
  return SPECIAL.test(value) ? value.replace(/[\\\t\n\r\u0000]/g, (c) => ESCAPES[c]!) : value;
}

function nullable(value: string | null): string {
  return value === null ? '\\N' : text(value);
}
