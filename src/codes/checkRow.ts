import type { Header } from './header.js';
import { checkCode, checkLabel, forReport, MAX_LOT_CHARS, MAX_PARTNER_CHARS, parseExpiry } from './rules.js';

/** One data row of a code-pool CSV, checked: problem is null when it can be imported. */
export interface CodeRow {
  line: number;
  code: string;
  lot: string | null;
  partner: string | null;
  /** A date-time with its offset, as written. */
  expiresAt: string | null;
  /** A date: good through that day, in the merchant's time zone. */
  expiresDate: string | null;
  problem: string | null;
}

/**
 * Fields are trimmed (spreadsheets pad them); the first problem found is the row's problem. A
 * rejected row keeps its code, shortened and on one line, for the report.
 */
export function checkRow(fields: string[], header: Header, line: number, defaultLot: string | null): CodeRow {
  const field = (i: number | undefined) => (i === undefined ? '' : (fields[i] ?? '').trim());
  const code = field(header.index.code);
  const row: CodeRow = { line, code, lot: null, partner: null, expiresAt: null, expiresDate: null, problem: null };
  const reject = (problem: string): CodeRow => {
    row.code = forReport(code);
    row.problem = problem;
    return row;
  };
  if (fields.length !== header.width) {
    return reject(`${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${header.width}`);
  }
  const codeProblem = checkCode(code);
  if (codeProblem) return reject(codeProblem);

  const lot = field(header.index.lot) || defaultLot || '';
  const lotProblem = lot && checkLabel('lot', lot, MAX_LOT_CHARS);
  if (lotProblem) return reject(lotProblem);
  row.lot = lot || null;

  const partner = field(header.index.partner);
  const partnerProblem = partner && checkLabel('partner', partner, MAX_PARTNER_CHARS);
  if (partnerProblem) return reject(partnerProblem);
  row.partner = partner || null;

  const expires = field(header.index.expires_at);
  if (expires) {
    const expiry = parseExpiry(expires);
    if (typeof expiry === 'string') return reject(expiry);
    row.expiresAt = expiry.at;
    row.expiresDate = expiry.date;
  }
  return row;
}
