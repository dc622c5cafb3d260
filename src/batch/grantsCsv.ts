import type { Hash } from 'node:crypto';
import { UsageError } from '../shared/errors.js';
import { isUuid } from '../engine/redeem.js';
import { readCsvRecords } from './csvRecords.js';
import type { GrantMode, GrantRow, MemberColumn, RewardColumn, RowProblem } from './types.js';

// The bulk-grants CSV (docs/product.md, "CSV formats"): a header row; member by user_id, email or
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
 * The data rows of a grants file, streamed, each checked; rows whose every field is empty are
 * skipped like blank lines. A bad header, an unreadable file or broken quoting throws UsageError.
 */
export async function* readGrants(path: string, defaultMode: GrantMode, hash?: Hash): AsyncGenerator<GrantRow> {
  let header: Header | undefined;
  let seq = 0;
  for await (const record of readCsvRecords(path, hash)) {
    if (!header) {
      header = readHeader(path, record.fields);
      continue;
    }
    if (record.fields.every((field) => field.trim() === '')) continue;
    yield readRow(header, record.fields, record.line, seq++, defaultMode);
  }
  if (!header) throw new UsageError(`${path} is empty: expected a header row (e.g. email,reward_code,quantity)`);
}
