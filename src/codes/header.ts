import { UsageError } from '../shared/errors.js';

export const COLUMNS = ['code', 'lot', 'expires_at', 'partner'] as const;
export type Column = (typeof COLUMNS)[number];

/** Where each known column sits in a record, and how many fields a record must have. */
export interface Header {
  width: number;
  index: Partial<Record<Column, number>> & { code: number };
}

/**
 * The header row: names are trimmed and case-insensitive; `code` is required. An unknown column is
 * refused rather than ignored (a misspelt `expires` would import codes that never expire), unless
 * the caller only needs the codes (`codes void --file` takes an export with all its columns).
 */
export function readHeader(fields: string[], file: string, line: number, otherColumns: 'refuse' | 'ignore'): Header {
  const names = fields.map((f) => f.trim().toLowerCase());
  const where = `${file} line ${line} (the header)`;
  const index: Partial<Record<Column, number>> = {};
  const unknown: string[] = [];
  names.forEach((name, i) => {
    if (!(COLUMNS as readonly string[]).includes(name)) {
      unknown.push(name === '' ? `(empty, column ${i + 1})` : JSON.stringify(fields[i]!.slice(0, 40)));
      return;
    }
    if (index[name as Column] !== undefined) throw new UsageError(`${where} names the column ${name} twice`);
    index[name as Column] = i;
  });
  const known = `the columns are code (required), lot, expires_at (ISO-8601) and partner`;
  if (index.code === undefined) {
    throw new UsageError(`${where} has no code column (found ${fields.slice(0, 8).map((f) => JSON.stringify(f.slice(0, 40))).join(', ') || 'nothing'}): ${known}`);
  }
  if (unknown.length > 0 && otherColumns === 'refuse') {
    throw new UsageError(`${where} has unknown column${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).join(', ')}: ${known}`);
  }
  return { width: fields.length, index: { ...index, code: index.code } };
}
