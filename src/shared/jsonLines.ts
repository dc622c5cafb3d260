import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.js';

// The JSON-lines files operators hand to a command (`events inject --file`, `events replay
// --file`): read whole (they are small), a BOM dropped, LF or CRLF, blank lines skipped but
// counted, so a line number matches the editor. Each line must be JSON; what it must hold is the
// caller's to check, through lineError so every message reads `<file> line <n>: <what>`.

export interface JsonLine {
  /** 1-based, counting blank lines. */
  line: number;
  /** The line as written (for parsers that take text, such as the event schema). */
  text: string;
  value: unknown;
}

/** The usage error for one line of a file: `<path> line <n>: <what>`. */
export function lineError(path: string, line: number, what: string): UsageError {
  return new UsageError(`${path} line ${line}: ${what}`);
}

/** Every non-blank line of `path`, parsed; an unreadable file names `flag`, a line that is not JSON names its line. */
export async function readJsonLines(flag: string, path: string): Promise<JsonLine[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${flag} ${path}: ${(error as Error).message}`, { cause: error });
  }
  const lines: JsonLine[] = [];
  for (const [index, text] of content.replace(/^\uFEFF/, '').split(/\r?\n/).entries()) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw lineError(path, index + 1, `not JSON (${(error as Error).message})`);
    }
    lines.push({ line: index + 1, text, value });
  }
  return lines;
}
