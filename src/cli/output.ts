import Table from 'cli-table3';
import type { CliIO } from './io.js';

// Colour only on a TTY, never under NO_COLOR (https://no-color.org) or in JSON.
export function useColour(io: CliIO): boolean {
  return Boolean(io.stdout.isTTY) && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(io: CliIO, colour: Colour, text: string): string {
  return useColour(io) ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

export function table(io: CliIO, head: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const t = new Table({
    head,
    style: { head: useColour(io) ? ['cyan'] : [], border: useColour(io) ? ['grey'] : [] },
  });
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined ? '' : cell)));
  return t.toString();
}

/** Two columns, label and value, for one record. */
export function keyValues(io: CliIO, pairs: Array<[string, string | number | boolean | null | undefined]>): string {
  const t = new Table({ style: { head: [], border: useColour(io) ? ['grey'] : [] } });
  for (const [key, value] of pairs) t.push({ [key]: value === null || value === undefined ? '' : String(value) });
  return t.toString();
}

export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function writeLine(io: CliIO, text = ''): void {
  io.stdout.write(text + '\n');
}

/** Logs, progress and warnings: stderr, so --json stays one document on stdout. */
export function note(io: CliIO, text: string): void {
  io.stderr.write(text + '\n');
}
