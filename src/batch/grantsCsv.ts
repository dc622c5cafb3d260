import { isBlank, isUnreadable, MAX_RECORD_CHARS, type CsvFile, type CsvItem, type CsvRecord } from '../shared/csv.js';
import { UsageError } from '../shared/errors.js';
import { isUuid } from '../shared/uuid.js';
import type { GrantMode, GrantRow, MemberColumn, RewardColumn, RowProblem } from './types.js';

// The bulk-grants CSV (docs/conventions.md, "CSV formats"): a header row; member by user_id, email or
// tel; reward by reward_id or reward_code; quantity (default 1); optional mode and note.

export const MEMBER_COLUMNS: readonly MemberColumn[] = ['user_id', 'email', 'tel'];
export const REWARD_COLUMNS: readonly RewardColumn[] = ['reward_id', 'reward_code'];
const KNOWN = [...MEMBER_COLUMNS, ...REWARD_COLUMNS, 'quantity', 'mode', 'note'] as const;
type Column = (typeof KNOWN)[number];

export const MAX_QUANTITY = 1000;
export const MAX_NOTE_CHARS = 500;

export type Header = Map<Column, number>;

/** Column names are matched trimmed and case-insensitively; an unknown or repeated one is refused. */
export function readHeader(path: string, fields: string[]): Header {
  const header: Header = new Map();
  for (const [index, raw] of fields.entries()) {
    const name = raw.trim().toLowerCase();
    if (!(KNOWN as readonly string[]).includes(name)) {
      throw new UsageError(`${path}: unknown column ${JSON.stringify(raw)} in the header (known: ${KNOWN.join(', ')})`);
    }
    if (header.has(name as Column)) throw new UsageError(`${path}: column ${name} appears twice in the header`);
    header.set(name as Column, index);
  }
  const missing = [
    MEMBER_COLUMNS.some((c) => header.has(c)) ? null : `no member column (add one of ${MEMBER_COLUMNS.join(', ')})`,
    REWARD_COLUMNS.some((c) => header.has(c)) ? null : `no reward column (add one of ${REWARD_COLUMNS.join(', ')})`,
  ].filter((m) => m !== null);
  if (missing.length > 0) throw new UsageError(`${path}: the header has ${missing.join(' and ')}`);
  return header;
}

/**
 * Checks one data row. Values are trimmed. When a row fills several member (or reward) columns,
 * the first in the order user_id, email, tel (reward_id, reward_code) is used.
 */
export function readRow(header: Header, fields: string[], line: number, seq: number, defaultMode: GrantMode): GrantRow {
  const value = (column: Column): string => {
    const index = header.get(column);
    return index === undefined ? '' : (fields[index] ?? '').trim();
  };
  const memberColumn = MEMBER_COLUMNS.find((c) => value(c) !== '') ?? null;
  const rewardColumn = REWARD_COLUMNS.find((c) => value(c) !== '') ?? null;
  const quantityText = value('quantity');
  const modeText = value('mode').toLowerCase();
  const row: GrantRow = {
    line,
    seq,
    member: memberColumn ? value(memberColumn) : '',
    memberColumn,
    reward: rewardColumn ? value(rewardColumn) : '',
    rewardColumn,
    quantityText,
    quantity: quantityText === '' ? 1 : Number(quantityText),
    mode: modeText === '' ? defaultMode : (modeText as GrantMode),
    note: value('note') || null,
    problem: null,
  };
  row.problem = findProblem(row, header.size, fields.length, modeText);
  return row;
}

function findProblem(row: GrantRow, expected: number, found: number, modeText: string): RowProblem | null {
  if (found !== expected) return { code: 'INVALID_ROW', message: `expected ${expected} field(s) as in the header, found ${found}` };
  if (!row.memberColumn) return { code: 'MISSING_MEMBER', message: 'no member: fill user_id, email or tel' };
  if (!row.rewardColumn) return { code: 'MISSING_REWARD', message: 'no reward: fill reward_id or reward_code' };
  if (row.memberColumn === 'user_id' && !isUuid(row.member)) {
    return { code: 'INVALID_ROW', message: `user_id must be a uuid, got ${JSON.stringify(row.member)}` };
  }
  if (row.rewardColumn === 'reward_id' && !isUuid(row.reward)) {
    return { code: 'INVALID_ROW', message: `reward_id must be a uuid, got ${JSON.stringify(row.reward)}` };
  }
  if (row.quantityText !== '' && (!/^\d+$/.test(row.quantityText) || row.quantity < 1 || row.quantity > MAX_QUANTITY)) {
    return { code: 'INVALID_QUANTITY', message: `quantity must be a whole number from 1 to ${MAX_QUANTITY}, got ${JSON.stringify(row.quantityText)}` };
  }
  if (modeText !== '' && modeText !== 'calc' && modeText !== 'direct') {
    return { code: 'INVALID_MODE', message: `mode must be calc or direct, got ${JSON.stringify(modeText)}` };
  }
  if (row.note !== null && row.note.length > MAX_NOTE_CHARS) {
    return { code: 'INVALID_ROW', message: `note is longer than ${MAX_NOTE_CHARS} characters` };
  }
  return null;
}

/**
 * The data rows of a grants file, streamed through the shared reader (src/shared/csv.ts), each
 * checked; blank lines and rows whose every field is empty are skipped. A bad header, an
 * unreadable file, bytes that are not UTF-8 or broken quoting throw UsageError: a grant is never
 * made from a row that may have been misread.
 */
export async function* readGrants(csv: CsvFile, defaultMode: GrantMode): AsyncGenerator<GrantRow> {
  let header: Header | undefined;
  let seq = 0;
  for await (const items of csv.records()) {
    for (const item of items) {
      const { line, fields } = readable(csv.name, item);
      if (isBlank(fields)) continue;
      if (!header) header = readHeader(csv.name, fields);
      else yield readRow(header, fields, line, seq++, defaultMode);
    }
  }
  if (!header) throw new UsageError(`${csv.name} is empty: expected a header row (e.g. email,reward_code,quantity)`);
}

/** The record, or the usage error that stops the file: broken quoting or bytes that are not UTF-8, with the line. */
function readable(path: string, item: CsvItem): CsvRecord {
  if (isUnreadable(item)) {
    const { error } = item;
    const where = error.lines ? `line ${error.lines}: ` : '';
    const what = error.code === 'CSV_MAX_RECORD_SIZE' ? `a row is longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?)` : error.message;
    throw new UsageError(`${path}: ${where}${what}; fix the file and run again`, { cause: error });
  }
  if (item.invalidUtf8?.cutAtEnd) throw new UsageError(`${path}: the file ends inside a UTF-8 character; save it as UTF-8 and run again`);
  if (item.invalidUtf8) throw new UsageError(`${path}: line ${item.invalidUtf8.line} is not valid UTF-8; save the file as UTF-8 and run again`);
  return item;
}
